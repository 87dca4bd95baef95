"""Nodes of the ``component_compliance`` pipeline (the lab's LSTM text classifier)."""

from __future__ import annotations

import logging
import time
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from matplotlib.figure import Figure
from sklearn.metrics import log_loss

from mlops_lab.components.model import TEXT_COLUMN, ComponentComplianceModel
from mlops_lab.components.rule import (
    CONDITIONS,
    MATERIALS,
    YEAR_LIMIT,
    read_attributes,
    violation_reasons,
)
from mlops_lab.components.vectoriser import (
    OOV_TOKEN,
    build_classifier,
    fit_vocabulary,
    load_glove_matrix,
    text_classifier,
    text_vectoriser,
)
from mlops_lab.distribution import training_strategy
from mlops_lab.registry import RegisteredModel
from mlops_lab.reporting.classification import (
    classification_metrics,
    confusion_matrix_figure,
    training_curves_figure,
)
from mlops_lab.seeding import set_global_seed
from mlops_lab.tracking import metric_history, metric_key

logger = logging.getLogger(__name__)

PROBLEM = "components"
CLASS_NAMES = ("compliant", "non_compliant")
EPOCH_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
# Keras history key -> (stage, metric) of the project's metric names.
EPOCH_METRIC_NAMES = {
    "loss": ("epoch", "loss"),
    "accuracy": ("epoch", "accuracy"),
    "val_loss": ("validation", "loss"),
    "val_accuracy": ("validation", "accuracy"),
}
# Test figures that travel with the registered version (promotion tags).
PROMOTION_METRICS = ("accuracy", "macro_f1", "f1_non_compliant", "loss")


def fit_text_vectoriser(train: pd.DataFrame, max_tokens: int) -> list[str]:
    """Fit the vocabulary on the training texts only (index 0 padding, 1 ``[UNK]``)."""
    vocabulary = fit_vocabulary(train["text"], max_tokens=max_tokens)
    logger.info("Vocabulary of %d words fitted on %d training texts", len(vocabulary), len(train))
    return vocabulary


def _token_dataset(
    tokens: tf.Tensor, labels: np.ndarray, batch_size: int, shuffle_seed: int | None
) -> tf.data.Dataset:
    """Batches of (word indices, label); reshuffled each epoch when a seed is given."""
    dataset = tf.data.Dataset.from_tensor_slices((tokens, labels.astype("float32")))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def train_compliance_classifier(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    vocabulary: list[str],
    sequence_length: int,
    model_params: dict[str, Any],
    training_params: dict[str, Any],
    embeddings_path: str | None,
    seed: int,
) -> tuple[keras.Model, dict[str, Any]]:
    """Train Embedding -> LSTM -> Dense(sigmoid) until validation loss stops improving.

    The vectoriser is built once from ``vocabulary``; each split is vectorised once and
    fed through a shuffled, prefetched ``tf.data`` pipeline. Training stops when the
    validation loss has not improved by ``early_stopping.min_delta`` for
    ``early_stopping.patience`` epochs (at most ``max_epochs``), and the weights of the
    best epoch are restored.

    Args:
        train, validation: normalised texts with ``label``.
        vocabulary: the fitted vocabulary.
        sequence_length: tokens read per text.
        model_params: ``embedding_dim``, ``embedding_trainable``, ``lstm_units``, ``dropout``.
        training_params: ``learning_rate``, ``max_epochs``, ``batch_size``,
            ``early_stopping`` (``patience``, ``min_delta``), ``verbose``.
        embeddings_path: optional GloVe text file; ``None`` trains the embedding.
        seed: seeds Python, NumPy, TensorFlow and the shuffling.

    Returns:
        The model on normalised text (vectoriser + network) and its history: per-epoch
        ``loss, accuracy, val_loss, val_accuracy``, ``best_epoch`` (counted from 1),
        ``epochs_run`` and ``train_seconds``.
    """
    set_global_seed(seed)
    matrix = None
    if embeddings_path:
        matrix = load_glove_matrix(
            embeddings_path, vocabulary, model_params["embedding_dim"], seed=seed
        )
    vectoriser = text_vectoriser(vocabulary, sequence_length)
    with training_strategy().scope():  # multi-node on Azure ML when configured
        network = build_classifier(
            vocabulary_size=len(vocabulary),
            sequence_length=sequence_length,
            learning_rate=training_params["learning_rate"],
            embedding_matrix=matrix,
            **model_params,
        )
    batch_size = int(training_params["batch_size"])
    train_batches = _token_dataset(
        vectoriser(tf.constant(train["text"].to_numpy(dtype=object))),
        train["label"].to_numpy(),
        batch_size,
        shuffle_seed=seed,
    )
    validation_batches = _token_dataset(
        vectoriser(tf.constant(validation["text"].to_numpy(dtype=object))),
        validation["label"].to_numpy(),
        batch_size,
        shuffle_seed=None,
    )
    stopping = training_params["early_stopping"]
    early_stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss",
        patience=int(stopping["patience"]),
        min_delta=float(stopping["min_delta"]),
        restore_best_weights=True,
    )
    logger.info(
        "Training on %d texts (validation %d), batch %d, at most %d epochs",
        len(train),
        len(validation),
        batch_size,
        training_params["max_epochs"],
    )
    started = time.perf_counter()
    fitted = network.fit(
        train_batches,
        validation_data=validation_batches,
        epochs=int(training_params["max_epochs"]),
        callbacks=[early_stopping],
        shuffle=False,  # the tf.data pipeline reshuffles every epoch
        verbose=training_params["verbose"],
    )
    seconds = time.perf_counter() - started
    record: dict[str, Any] = {key: [float(v) for v in fitted.history[key]] for key in EPOCH_METRICS}
    record["best_epoch"] = int(early_stopping.best_epoch) + 1
    record["epochs_run"] = len(record["loss"])
    record["train_seconds"] = round(seconds, 2)
    logger.info(
        "Trained %d epochs in %.1f s; weights of epoch %d restored (val_loss %.3g)",
        record["epochs_run"],
        seconds,
        record["best_epoch"],
        record["val_loss"][record["best_epoch"] - 1],
    )
    return text_classifier(vectoriser, network), record


def summarise_training(
    history: dict[str, Any],
) -> tuple[Figure, dict[str, list[dict[str, float | int]]]]:
    """Training curves figure and per-epoch MLflow metric histories (epochs from 1).

    ``loss``/``accuracy`` become ``components.epoch.*``, ``val_loss``/``val_accuracy``
    ``components.validation.*``.
    """
    figure = training_curves_figure(
        {key: history[key] for key in EPOCH_METRICS},
        f"Component compliance LSTM (best epoch {history['best_epoch']})",
    )
    epoch_metrics = {
        metric_key(PROBLEM, stage, name): metric_history(history[key])
        for key, (stage, name) in EPOCH_METRIC_NAMES.items()
    }
    return figure, epoch_metrics


def package_compliance_model(
    model: keras.Model, input_example: list[str], threshold: float, max_chars: int
) -> tuple[ComponentComplianceModel, dict[str, Any]]:
    """Normalisation and the Keras model as one pyfunc: raw text in, probability and label out.

    Returns:
        The pyfunc (registered by the catalog as ``@challenger``) and a small model card.
    """
    package = ComponentComplianceModel(
        keras_model=model,
        input_example=pd.DataFrame({TEXT_COLUMN: list(input_example)}),
        threshold=threshold,
        max_chars=max_chars,
    )
    vectoriser = model.get_layer("vectoriser")
    card = {
        "vocabulary_size": int(vectoriser.vocabulary_size()),
        "oov_token": OOV_TOKEN,
        "threshold": threshold,
        "max_chars": max_chars,
        "input": "DataFrame with a 'text' column (or a list of strings)",
        "output": "DataFrame: probability (of non-compliance), label (1 = non-compliant)",
        "parameters": int(model.count_params()),
    }
    return package, card


def predict_test_texts(challenger: RegisteredModel, test: pd.DataFrame) -> pd.DataFrame:
    """The registered challenger's prediction for every test text, through its pyfunc.

    Returns:
        ``text, label, probability, predicted``, one row per test text.
    """
    predictions = challenger.predict(test[[TEXT_COLUMN]])
    logger.info("Predicted %d test texts with %s", len(test), challenger.reference)
    return pd.DataFrame(
        {
            TEXT_COLUMN: test[TEXT_COLUMN].to_numpy(),
            "label": test["label"].to_numpy(),
            "probability": predictions["probability"].to_numpy(),
            "predicted": predictions["label"].to_numpy(),
        }
    )


def _test_metrics(predictions: pd.DataFrame) -> dict[str, float]:
    """Accuracy, macro-F1, per-class precision/recall/F1 and log loss of ``predictions``."""
    names = [CLASS_NAMES[i] for i in predictions["label"]]
    predicted = [CLASS_NAMES[i] for i in predictions["predicted"]]
    metrics = classification_metrics(names, predicted, CLASS_NAMES)
    probability = predictions["probability"].clip(1e-7, 1 - 1e-7)
    metrics["loss"] = float(log_loss(predictions["label"], probability, labels=[0, 1]))
    return metrics


def _slice_masks(facts: pd.DataFrame) -> dict[str, pd.Series]:
    """The rule's boundaries: the years either side of the limit, each condition, material."""
    masks = {"all": pd.Series(True, index=facts.index)}
    for year in (YEAR_LIMIT - 1, YEAR_LIMIT):
        masks[f"year_{year}"] = facts["year"] == year
    masks[f"year_before_{YEAR_LIMIT}"] = facts["year"] < YEAR_LIMIT
    masks[f"year_{YEAR_LIMIT}_or_later"] = facts["year"] >= YEAR_LIMIT
    for condition in CONDITIONS:
        masks[f"condition_{condition}"] = facts["condition"] == condition
    for material in MATERIALS:
        masks[f"material_{material.replace(' ', '_')}"] = facts["material"] == material
    return masks


def analyse_classification_errors(predictions: pd.DataFrame) -> dict[str, Any]:
    """Loss, precision/recall/F1, confusion matrix, accuracy per rule slice, misclassified texts.

    Slices follow the rule's boundaries (:data:`mlops_lab.components.rule.YEAR_LIMIT`):
    the years either side of the limit, each condition, each material. Each misclassified
    text carries the rule's reason for its true label. MLflow names:
    ``components.test.<metric>`` and ``components.test.slice.<slice>.accuracy``.
    """
    facts = pd.DataFrame([vars(read_attributes(text)) for text in predictions["text"]])
    facts.index = predictions.index
    correct = predictions["label"] == predictions["predicted"]
    slices = pd.DataFrame(
        [
            {
                "slice": name,
                "n": int(mask.sum()),
                "errors": int((mask & ~correct).sum()),
                "accuracy": float(correct[mask].mean()) if mask.any() else float("nan"),
            }
            for name, mask in _slice_masks(facts).items()
        ]
    )
    wrong = predictions.loc[~correct].join(facts.loc[~correct])
    misclassified = wrong.assign(
        true_label_reason=[
            violation_reasons(None if pd.isna(year) else int(year), condition, material)
            for year, condition, material in wrong[["year", "condition", "material"]].itertuples(
                index=False
            )
        ]
    ).reset_index(drop=True)
    metrics = _test_metrics(predictions)
    names = [CLASS_NAMES[i] for i in predictions["label"]]
    predicted = [CLASS_NAMES[i] for i in predictions["predicted"]]
    figure = confusion_matrix_figure(
        names, predicted, CLASS_NAMES, "Component compliance, test split"
    )
    logger.info(
        "Test accuracy %.4f, %d misclassified; worst slice %s",
        metrics["accuracy"],
        len(misclassified),
        slices.sort_values("accuracy").iloc[0].to_dict(),
    )
    mlflow_metrics = {
        metric_key(PROBLEM, "test", name): {"value": value, "step": 0}
        for name, value in metrics.items()
    } | {
        metric_key(PROBLEM, "test", "slice", row.slice, "accuracy"): {
            "value": row.accuracy,
            "step": 0,
        }
        for row in slices.itertuples()
        if row.n > 0
    }
    return {
        "metrics": metrics,
        "mlflow_metrics": mlflow_metrics,
        "slices": slices,
        "misclassified": misclassified,
        "confusion_matrix": figure,
    }


def score_promotion_candidates(
    challenger: RegisteredModel, incumbent: RegisteredModel | None, test: pd.DataFrame
) -> dict[str, Any]:
    """Accuracy of the challenger and the current champion on the same test texts.

    Both are scored through their pyfunc on the raw ``text`` column, the way users call
    them. ``champion`` is None when there is no champion yet (or it is the challenger).
    The challenger's figures in :data:`PROMOTION_METRICS` travel with its version.

    Returns:
        ``{"challenger", "champion", "data", "challenger_metrics"}`` for
        :func:`mlops_lab.promotion.decide_promotion`.
    """
    metrics = _test_metrics(predict_test_texts(challenger, test))
    champion = None
    if incumbent is not None and incumbent.version != challenger.version:
        champion = _test_metrics(predict_test_texts(incumbent, test))["accuracy"]
    scores = {
        "challenger": metrics["accuracy"],
        "champion": champion,
        "data": f"component_texts_test: {len(test)} texts (test split)",
        "challenger_metrics": {
            metric_key(PROBLEM, "test", name): metrics[name] for name in PROMOTION_METRICS
        },
    }
    logger.info(
        "Test accuracy: challenger v%s %.4f, champion %s",
        challenger.version,
        scores["challenger"],
        "none" if champion is None else f"v{incumbent.version} {champion:.4f}",
    )
    return scores
