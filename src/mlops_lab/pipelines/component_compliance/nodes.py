"""Nodes of the ``component_compliance`` pipeline (the lab's LSTM text classifier)."""

from __future__ import annotations

import logging
import time
from typing import Any

import keras
import mlflow
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.components.model import ComponentComplianceModel
from mlops_lab.components.rule import CONDITIONS, MATERIALS, read_attributes, violation_reasons
from mlops_lab.components.vectoriser import (
    OOV_TOKEN,
    build_classifier,
    fit_vocabulary,
    load_glove_matrix,
    vectorise_texts,
)
from mlops_lab.reporting.classification import (
    classification_metrics,
    confusion_matrix_figure,
    training_curves_figure,
)
from mlops_lab.seeding import set_global_seed

logger = logging.getLogger(__name__)

CLASS_NAMES = ("compliant", "non_compliant")
EPOCH_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
BOUNDARY_YEARS = (1994, 1995)


def _as_mlflow_metrics(values: dict[str, float], step: int = 0) -> dict[str, dict[str, float]]:
    """``{"name": value}`` to the format of kedro-mlflow's ``MlflowMetricsHistoryDataset``."""
    return {name: {"value": float(value), "step": step} for name, value in values.items()}


def fit_text_vectoriser(train: pd.DataFrame, max_tokens: int) -> list[str]:
    """Fit the vocabulary on the training texts only (index 0 padding, 1 ``[UNK]``)."""
    vocabulary = fit_vocabulary(train["text"], max_tokens=max_tokens)
    logger.info("Vocabulary of %d words fitted on %d training texts", len(vocabulary), len(train))
    return vocabulary


def train_compliance_classifier(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    vocabulary: list[str],
    sequence_length: int,
    model_params: dict[str, Any],
    training_params: dict[str, Any],
    embeddings_path: str | None,
    seed: int,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train Embedding -> LSTM -> Dense(sigmoid) on the training split.

    Args:
        train, validation: normalised texts with ``label``.
        vocabulary: the fitted vocabulary.
        sequence_length: tokens read per text.
        model_params: ``embedding_dim``, ``embedding_trainable``, ``lstm_units``,
            ``dropout``, ``recurrent_dropout``.
        training_params: ``learning_rate``, ``epochs``, ``batch_size``, ``verbose``.
        embeddings_path: optional GloVe text file; ``None`` trains the embedding.
        seed: seeds Python, NumPy and TensorFlow.

    Returns:
        The trained model and its per-epoch history (plain lists of floats).
    """
    set_global_seed(seed)
    matrix = None
    if embeddings_path:
        matrix = load_glove_matrix(
            embeddings_path, vocabulary, model_params["embedding_dim"], seed=seed
        )
    model = build_classifier(
        vocabulary_size=len(vocabulary),
        sequence_length=sequence_length,
        learning_rate=training_params["learning_rate"],
        embedding_matrix=matrix,
        **model_params,
    )
    x_train = vectorise_texts(train["text"], vocabulary, sequence_length)
    x_validation = vectorise_texts(validation["text"], vocabulary, sequence_length)
    logger.info(
        "Training on %d texts (validation %d) for %d epochs, batch %d",
        len(x_train),
        len(x_validation),
        training_params["epochs"],
        training_params["batch_size"],
    )
    started = time.perf_counter()
    history = model.fit(
        x_train,
        train["label"].to_numpy(),
        validation_data=(x_validation, validation["label"].to_numpy()),
        epochs=training_params["epochs"],
        batch_size=training_params["batch_size"],
        verbose=training_params["verbose"],
        shuffle=True,
    )
    seconds = time.perf_counter() - started
    logger.info("Training took %.1f s", seconds)
    record = {key: [float(v) for v in history.history[key]] for key in EPOCH_METRICS}
    record["train_seconds"] = [round(seconds, 2)]
    return model, record


def summarise_training(
    history: dict[str, list[float]], learning_rate: float
) -> tuple[Figure, dict[str, Any], float]:
    """Training curves figure, per-epoch metrics for MLflow, and the learning rate."""
    figure = training_curves_figure(
        {key: history[key] for key in EPOCH_METRICS}, "Component compliance LSTM"
    )
    epoch_metrics = {
        key: [{"value": value, "step": epoch} for epoch, value in enumerate(history[key])]
        for key in EPOCH_METRICS
    }
    return figure, epoch_metrics, float(learning_rate)


def evaluate_compliance_classifier(
    model: keras.Model,
    test: pd.DataFrame,
    vocabulary: list[str],
    sequence_length: int,
    threshold: float,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Loss and accuracy on the test split, and one prediction per test text.

    Returns:
        ``eval_loss``/``eval_accuracy`` in MLflow metric format, and a table
        ``text, label, probability, predicted``.
    """
    x_test = vectorise_texts(test["text"], vocabulary, sequence_length)
    loss, accuracy = model.evaluate(x_test, test["label"].to_numpy(), verbose=0)
    probability = model.predict(x_test, batch_size=1024, verbose=0).ravel()
    predictions = pd.DataFrame(
        {
            "text": test["text"].to_numpy(),
            "label": test["label"].to_numpy(),
            "probability": probability.astype("float64"),
            "predicted": (probability >= threshold).astype("int64"),
        }
    )
    logger.info("Test loss %.4f, accuracy %.4f on %d texts", loss, accuracy, len(test))
    return _as_mlflow_metrics({"eval_loss": loss, "eval_accuracy": accuracy}), predictions


def _slice_masks(facts: pd.DataFrame) -> dict[str, pd.Series]:
    masks = {"all": pd.Series(True, index=facts.index)}
    for year in BOUNDARY_YEARS:
        masks[f"year_{year}"] = facts["year"] == year
    masks["year_before_1995"] = facts["year"] < 1995
    masks["year_1995_or_later"] = facts["year"] >= 1995
    for condition in CONDITIONS:
        masks[f"condition_{condition}"] = facts["condition"] == condition
    for material in MATERIALS:
        masks[f"material_{material.replace(' ', '_')}"] = facts["material"] == material
    return masks


def analyse_classification_errors(predictions: pd.DataFrame) -> dict[str, Any]:
    """Precision/recall/F1, confusion matrix, accuracy per rule slice, misclassified texts.

    Slices follow the rule's boundaries: manufacture years 1994 and 1995, each condition,
    each material. Each misclassified text carries the rule's reason for its true label.
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
    names = [CLASS_NAMES[i] for i in predictions["label"]]
    predicted = [CLASS_NAMES[i] for i in predictions["predicted"]]
    metrics = classification_metrics(names, predicted, CLASS_NAMES)
    figure = confusion_matrix_figure(
        names, predicted, CLASS_NAMES, "Component compliance, test split"
    )
    logger.info(
        "Test accuracy %.4f, %d misclassified; worst slice %s",
        metrics["accuracy"],
        len(misclassified),
        slices.sort_values("accuracy").iloc[0].to_dict(),
    )
    slice_metrics = {
        f"slice_accuracy_{row.slice}": row.accuracy for row in slices.itertuples() if row.n > 0
    }
    return {
        "metrics": metrics,
        "mlflow_metrics": _as_mlflow_metrics(
            {**{f"test_{k}": v for k, v in metrics.items()}, **slice_metrics}
        ),
        "slices": slices,
        "misclassified": misclassified,
        "confusion_matrix": figure,
    }


def package_compliance_model(
    model: keras.Model,
    vocabulary: list[str],
    sequence_length: int,
    threshold: float,
    max_chars: int,
) -> tuple[ComponentComplianceModel, dict[str, Any]]:
    """Vectoriser and network as one MLflow pyfunc: raw text in, probability and label out.

    Returns:
        The pyfunc (logged and registered by the catalog) and a small model card.
    """
    package = ComponentComplianceModel(
        keras_model=model,
        vocabulary=vocabulary,
        sequence_length=sequence_length,
        threshold=threshold,
        max_chars=max_chars,
    )
    card = {
        "vocabulary_size": len(vocabulary),
        "oov_token": OOV_TOKEN,
        "sequence_length": sequence_length,
        "threshold": threshold,
        "max_chars": max_chars,
        "input": "DataFrame with a 'text' column (or a list of strings)",
        "output": "DataFrame: probability (of non-compliance), label (1 = non-compliant)",
        "parameters": int(model.count_params()),
    }
    return package, card


def log_tracking_location(model_card: dict[str, Any], metrics: dict[str, float]) -> dict[str, Any]:
    """Say where the run and the registered model are, so the user can open them.

    Reads the active MLflow run (kedro-mlflow opens one per pipeline run) and the model
    versions registered from it.
    """
    run = mlflow.active_run()
    location: dict[str, Any] = {
        "tracking_uri": mlflow.get_tracking_uri(),
        "run_id": run.info.run_id if run else None,
        "experiment_id": run.info.experiment_id if run else None,
        "test_accuracy": metrics.get("accuracy"),
        "registered_models": [],
    }
    if run is not None:
        client = mlflow.MlflowClient()
        versions = client.search_model_versions(f"run_id = '{run.info.run_id}'")
        location["registered_models"] = [
            {"name": version.name, "version": version.version} for version in versions
        ]
        experiment = client.get_experiment(run.info.experiment_id)
        location["experiment"] = experiment.name if experiment else None
    logger.info(
        "MLflow tracking URI %s, run id %s, registered %s. Open it with: "
        "mlflow ui --backend-store-uri %s",
        location["tracking_uri"],
        location["run_id"],
        location["registered_models"] or "nothing (tracking disabled?)",
        location["tracking_uri"],
    )
    return {**location, "model": model_card}
