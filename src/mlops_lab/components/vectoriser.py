"""Characters to integer sequences, and the classifier that reads them.

The vocabulary is the characters of the normalised training notes (index 0 = padding
``""``, index 1 = out-of-vocabulary ``"[UNK]"``), kept as a plain list. One Keras
``TextVectorization`` layer with ``split="character"`` is built from it
(:func:`text_vectoriser`) and is the first layer of the registered model
(:func:`text_classifier`), so serving does no tokenising in Python. Reading characters
rather than words, a misspelt or unseen word is still mostly the letters the network
knows, and there is no word list whose gaps a real note falls into.

The window (``sequence_length``, in characters) is derived from the training notes
(:func:`window_length`) and stored with the model; the packaged model refuses a longer
note rather than letting the layer cut it (:mod:`mlops_lab.components.model`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence

import keras
import numpy as np

logger = logging.getLogger(__name__)

PADDING_TOKEN = ""
OOV_TOKEN = "[UNK]"
TEXT_INPUT = "text"


def _text_vectorization(**kwargs) -> keras.layers.TextVectorization:
    return keras.layers.TextVectorization(standardize=None, split="character", **kwargs)


def fit_vocabulary(texts: Sequence[str], max_tokens: int) -> list[str]:
    """The ``max_tokens`` most frequent characters of ``texts`` (padding and OOV included)."""
    layer = _text_vectorization(max_tokens=max_tokens)
    layer.adapt(np.asarray(list(texts), dtype=object))
    return [str(token) for token in layer.get_vocabulary()]


def window_length(texts: Sequence[str], coverage: float, headroom: float, multiple: int) -> int:
    """Characters the model reads: the ``coverage`` quantile of the training notes' lengths
    times ``headroom``, rounded up to a ``multiple`` (the network's pooling size).

    Raises:
        ValueError: when ``coverage`` is below 0.999 or ``headroom`` below 1 (the window
            must cover at least the 99.9th percentile of the training lengths).
    """
    if coverage < 0.999 or coverage > 1 or headroom < 1:
        raise ValueError(
            "component_compliance.window: coverage must be in [0.999, 1] and headroom >= 1, "
            f"got coverage={coverage}, headroom={headroom}."
        )
    lengths = np.asarray([len(text) for text in texts])
    quantile = float(np.quantile(lengths, coverage))
    return int(math.ceil(quantile * headroom / multiple) * multiple)


def text_vectoriser(
    vocabulary: Sequence[str], sequence_length: int
) -> keras.layers.TextVectorization:
    """The layer that turns normalised notes into ``sequence_length`` character indices.

    Shorter notes are padded at the end. A longer note would be cut by this layer, which
    is why :class:`mlops_lab.components.model.ComponentComplianceModel` rejects it first.

    Raises:
        ValueError: when ``vocabulary`` does not start with the padding and OOV tokens.
    """
    if list(vocabulary[:2]) != [PADDING_TOKEN, OOV_TOKEN]:
        raise ValueError(
            f"vocabulary must start with the padding and OOV tokens {[PADDING_TOKEN, OOV_TOKEN]}, "
            f"got {list(vocabulary[:2])}."
        )
    return _text_vectorization(
        output_sequence_length=sequence_length, vocabulary=list(vocabulary), name="vectoriser"
    )


def vectorise_texts(
    texts: Sequence[str], vocabulary: Sequence[str], sequence_length: int
) -> np.ndarray:
    """Integer sequences of length ``sequence_length`` (see :func:`text_vectoriser`)."""
    layer = text_vectoriser(vocabulary, sequence_length)
    return layer(np.asarray(list(texts), dtype=object)).numpy()


READOUTS = ("max", "last")


def build_classifier(
    vocabulary_size: int,
    sequence_length: int,
    embedding_dim: int,
    lstm_units: int,
    dropout: float,
    learning_rate: float | keras.optimizers.schedules.LearningRateSchedule,
    conv_filters: int = 64,
    kernel_size: int = 5,
    pool_size: int = 8,
    bidirectional: bool = True,
    readout: str = "max",
    embedding_dropout: float = 0.0,
) -> keras.Model:
    """Characters -> Embedding -> Conv1D (character n-grams) -> max-pool -> (Bi)LSTM -> logit.

    The convolution reads ``kernel_size``-character n-grams, the pooling shortens the
    sequence ``pool_size`` times, the LSTM reads the whole note. ``readout`` says how the
    note's LSTM states become one vector: ``max`` takes each unit's largest value over the
    positions (a violating fact anywhere is enough: the rule is an *or* of its clauses, and
    a clause is read in its context, e.g. after a "not"), ``last`` the final states.
    ``embedding_dropout`` drops whole character channels (``SpatialDropout1D``) so no
    single character pattern decides alone. The output is the logit of non-compliance
    (the packaged model divides it by the fitted temperature before the sigmoid).

    The LSTM keeps Keras' defaults (tanh / sigmoid, no recurrent dropout,
    ``unroll=False``), the conditions of the fused cuDNN kernel on a GPU; ``dropout``
    applies to its inputs only.
    """
    if readout not in READOUTS:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}.")
    every_step = readout == "max"
    recurrent = keras.layers.LSTM(
        lstm_units, dropout=dropout, return_sequences=every_step, name="lstm"
    )
    layers = [
        keras.Input(shape=(sequence_length,), dtype="int64", name="tokens"),
        keras.layers.Embedding(vocabulary_size, embedding_dim, name="embedding"),
    ]
    if embedding_dropout:
        layers.append(keras.layers.SpatialDropout1D(embedding_dropout, name="character_dropout"))
    layers += [
        keras.layers.Conv1D(
            conv_filters, kernel_size, padding="same", activation="relu", name="ngrams"
        ),
        keras.layers.MaxPooling1D(pool_size, padding="same", name="pool"),
        keras.layers.Bidirectional(recurrent, name="bilstm") if bidirectional else recurrent,
    ]
    if every_step:
        layers.append(keras.layers.GlobalMaxPooling1D(name="max_over_positions"))
    layers.append(keras.layers.Dense(1, name="non_compliant_logit"))
    model = keras.Sequential(layers, name="component_compliance_network")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
    )
    return model


def text_classifier(
    vectoriser: keras.layers.TextVectorization, network: keras.Model
) -> keras.Model:
    """Normalised text in, logit of non-compliance out: vectoriser + network.

    This is the Keras model that is saved and registered; its input is a batch of
    strings (``shape=()``, dtype ``string``).
    """
    text = keras.Input(shape=(), dtype="string", name=TEXT_INPUT)
    return keras.Model(text, network(vectoriser(text)), name="component_compliance")
