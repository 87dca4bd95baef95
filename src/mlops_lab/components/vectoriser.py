"""Text to integer sequences, and the classifier that reads them.

The vocabulary is fitted on the training split only and kept as a plain list of words
(index 0 = padding ``""``, index 1 = out-of-vocabulary ``"[UNK]"``). One Keras
``TextVectorization`` layer is built from it (:func:`text_vectoriser`): training
vectorises the splits with it once, and the same layer is the first layer of the model
that is registered (:func:`text_classifier`), so a prediction never rebuilds it. Texts
are normalised before they get here (:func:`mlops_lab.components.text.normalise_text`),
so the layer only splits on whitespace.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

logger = logging.getLogger(__name__)

PADDING_TOKEN = ""
OOV_TOKEN = "[UNK]"
TEXT_INPUT = "text"


def _text_vectorization(**kwargs) -> keras.layers.TextVectorization:
    return keras.layers.TextVectorization(standardize=None, split="whitespace", **kwargs)


def fit_vocabulary(texts: Sequence[str], max_tokens: int) -> list[str]:
    """The ``max_tokens`` most frequent words of ``texts`` (padding and OOV included)."""
    layer = _text_vectorization(max_tokens=max_tokens)
    layer.adapt(np.asarray(list(texts), dtype=object))
    return [str(word) for word in layer.get_vocabulary()]


def text_vectoriser(
    vocabulary: Sequence[str], sequence_length: int
) -> keras.layers.TextVectorization:
    """The layer that turns normalised texts into ``sequence_length`` word indices.

    Sequences are padded or truncated at the end; words not in ``vocabulary`` map to
    index 1 (``[UNK]``).

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


def load_glove_matrix(
    path: str | Path, vocabulary: Sequence[str], embedding_dim: int, seed: int
) -> np.ndarray:
    """Embedding matrix for ``vocabulary`` from a GloVe text file (``word v1 ... vN``).

    Words missing from the file get small seeded random vectors, the padding row is zero.

    Raises:
        FileNotFoundError / ValueError: naming the file and line when it cannot be read.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"component_compliance.embeddings_path: {path} does not exist; expected a GloVe "
            "text file (one 'word v1 ... vN' per line) or null to train the embedding."
        )
    index = {word: i for i, word in enumerate(vocabulary)}
    rng = np.random.default_rng(seed)
    matrix = rng.normal(0.0, 0.05, size=(len(vocabulary), embedding_dim)).astype("float32")
    matrix[0] = 0.0
    found = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            parts = line.rstrip().split(" ")
            if len(parts) <= 1:
                continue
            if len(parts) != embedding_dim + 1:
                raise ValueError(
                    f"{path}, line {number}: expected a word and {embedding_dim} numbers "
                    f"(component_compliance.embedding_dim), got {len(parts) - 1} numbers."
                )
            row = index.get(parts[0])
            if row is None:
                continue
            try:
                matrix[row] = np.asarray(parts[1:], dtype="float32")
            except ValueError:
                raise ValueError(
                    f"{path}, line {number}: expected {embedding_dim} numbers after '{parts[0]}'."
                ) from None
            found += 1
    logger.info(
        "Pre-trained vectors found for %d of %d vocabulary words in %s",
        found,
        len(vocabulary),
        path,
    )
    return matrix


def build_classifier(
    vocabulary_size: int,
    sequence_length: int,
    embedding_dim: int,
    lstm_units: int,
    dropout: float,
    learning_rate: float,
    embedding_matrix: np.ndarray | None = None,
    embedding_trainable: bool = True,
) -> keras.Model:
    """The lab's network on word indices: Embedding -> LSTM -> Dense(1, sigmoid), Adam.

    The LSTM keeps Keras' defaults (tanh / sigmoid activations, no recurrent dropout,
    ``unroll=False``), the conditions under which Keras runs it as one fused cuDNN kernel
    on a GPU; ``dropout`` applies to the LSTM's inputs only.
    """
    if embedding_matrix is not None:
        initializer = keras.initializers.Constant(embedding_matrix)
    else:
        initializer = "uniform"
    model = keras.Sequential(
        [
            keras.Input(shape=(sequence_length,), dtype="int64", name="tokens"),
            keras.layers.Embedding(
                vocabulary_size,
                embedding_dim,
                embeddings_initializer=initializer,
                trainable=embedding_trainable,
                name="embedding",
            ),
            keras.layers.LSTM(lstm_units, dropout=dropout, name="lstm"),
            keras.layers.Dense(1, activation="sigmoid", name="non_compliant_probability"),
        ],
        name="component_compliance_network",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def text_classifier(
    vectoriser: keras.layers.TextVectorization, network: keras.Model
) -> keras.Model:
    """Normalised text in, probability of non-compliance out: vectoriser + network.

    This is the Keras model that is saved and registered; its input is a batch of
    strings (``shape=()``, dtype ``string``).
    """
    text = keras.Input(shape=(), dtype="string", name=TEXT_INPUT)
    return keras.Model(text, network(vectoriser(text)), name="component_compliance")
