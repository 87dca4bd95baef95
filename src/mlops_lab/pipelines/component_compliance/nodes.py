"""Nodes of the ``component_compliance`` pipeline (the character-level LSTM classifier)."""

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

from mlops_lab.components.attribution import occlusion_attributions, sample_notes
from mlops_lab.components.baseline import TfidfComplianceModel, fit_tfidf_baseline
from mlops_lab.components.calibration import (
    expected_calibration_error,
    fit_temperature,
    recall_floor_threshold,
    reliability_bins,
    reliability_figure,
    sigmoid,
)
from mlops_lab.components.evaluation import (
    calibration_error_with_interval,
    figures_with_intervals,
    predict_notes,
    score_labelled_notes,
    slice_masks,
    slice_table,
)
from mlops_lab.components.model import (
    TEXT_COLUMN,
    ComplianceTextModel,
    ComponentComplianceModel,
)
from mlops_lab.components.report import compliance_report
from mlops_lab.components.rule import read_attributes, read_label, violation_reasons
from mlops_lab.components.schemas import INDEPENDENT_NOTES_SCHEMA, SEALED_NOTES_SCHEMA
from mlops_lab.components.vectoriser import (
    OOV_TOKEN,
    build_classifier,
    fit_vocabulary,
    text_classifier,
    text_vectoriser,
    window_length,
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
from mlops_lab.validation import validate_frame

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
PROMOTION_METRICS = (
    "accuracy",
    "macro_f1",
    "f1_non_compliant",
    "recall_non_compliant",
    "loss",
    "ece",
)
# The two registered candidates, in the order that breaks a tie on the held-out notes.
CANDIDATES = (ComponentComplianceModel.kind, TfidfComplianceModel.kind)
RULE_READER = "rule_reader"
# Bins of the expected calibration error on test notes.
ECE_BINS = 15
DEVELOPMENT_SOURCE = "hand-written development notes (independent_notes.csv: text, label, kind)"
SEALED_SOURCE = (
    "sealed hand-written notes (sealed_notes.csv: text, year, condition, material, label, kind)"
)
SEALED_2_SOURCE = (
    "second sealed hand-written notes (sealed_notes_2.csv: text, year, condition, material, "
    "label, kind)"
)
# Figures of each set of hand-written notes logged to the run, on all notes; their intervals and
# the figures per kind are in the CSV and the report (logged to the run too): each metric
# is one MLflow call, 2-20 ms on the shared machine, and the node's budget is 2 s.
INDEPENDENT_FIGURES = ("accuracy", "recall_non_compliant", "precision_non_compliant", "ece")


def fit_text_vectoriser(
    train: pd.DataFrame, max_tokens: int, window: dict[str, Any]
) -> dict[str, Any]:
    """The character vocabulary and the window, both from the training notes only.

    Args:
        train: normalised training notes.
        max_tokens: most characters kept (index 0 padding, 1 ``[UNK]``).
        window: ``coverage`` (>= 0.999), ``headroom`` (>= 1) and ``multiple``: the window
            covers the ``coverage`` quantile of the training lengths times ``headroom``.

    Returns:
        ``{"vocabulary": [...], "sequence_length": int, "longest_training_note": int,
        "training_notes_longer": int}``.
    """
    vocabulary = fit_vocabulary(train["text"], max_tokens=max_tokens)
    sequence_length = window_length(
        train["text"], float(window["coverage"]), float(window["headroom"]), int(window["multiple"])
    )
    lengths = train["text"].str.len()
    spec = {
        "vocabulary": vocabulary,
        "sequence_length": sequence_length,
        "longest_training_note": int(lengths.max()),
        "training_notes_longer": int((lengths > sequence_length).sum()),
    }
    logger.info(
        "Vocabulary of %d characters; window %d characters (longest training note %d, "
        "%d longer notes left out of training)",
        len(vocabulary),
        sequence_length,
        spec["longest_training_note"],
        spec["training_notes_longer"],
    )
    return spec


def _token_dataset(
    tokens: tf.Tensor, labels: np.ndarray, batch_size: int, shuffle_seed: int | None
) -> tf.data.Dataset:
    """Batches of (word indices, label); reshuffled each epoch when a seed is given."""
    dataset = tf.data.Dataset.from_tensor_slices((tokens, labels.astype("float32")))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _learning_rate(
    training_params: dict[str, Any], steps_per_epoch: int
) -> float | keras.optimizers.schedules.LearningRateSchedule:
    """``learning_rate`` held constant, or with ``schedule: cosine`` falling along half a
    cosine to ``learning_rate x final_fraction`` at the end of ``max_epochs``.

    Raises:
        ValueError: for another schedule name, or a ``final_fraction`` that is not a number
            in [0, 1].
    """
    rate = float(training_params["learning_rate"])
    schedule = training_params.get("schedule", "constant")
    if schedule == "constant":
        return rate
    if schedule == "cosine":
        fraction = training_params.get("final_fraction", 0.0)
        if (
            isinstance(fraction, bool)
            or not isinstance(fraction, int | float)
            or not 0 <= fraction <= 1
        ):
            raise ValueError(
                "component_compliance.training.final_fraction must be a number in [0, 1], "
                f"got {fraction!r}."
            )
        return keras.optimizers.schedules.CosineDecay(
            rate,
            decay_steps=int(training_params["max_epochs"]) * steps_per_epoch,
            alpha=float(fraction),
        )
    raise ValueError(
        f"component_compliance.training.schedule must be 'constant' or 'cosine', got {schedule!r}."
    )


def train_compliance_classifier(
    train: pd.DataFrame,
    validation: pd.DataFrame,
    vectoriser_spec: dict[str, Any],
    model_params: dict[str, Any],
    training_params: dict[str, Any],
    seed: int,
) -> tuple[keras.Model, dict[str, Any]]:
    """Train characters -> Conv1D -> BiLSTM -> logit until validation loss stops improving.

    The vectoriser is built once from the vocabulary; each split is vectorised once and
    fed through a shuffled, prefetched ``tf.data`` pipeline. Notes longer than the window
    are left out (counted in the history), never cut. Training stops when the validation
    loss has not improved by ``early_stopping.min_delta`` for ``early_stopping.patience``
    epochs (at most ``max_epochs``), and the weights of the best epoch are restored.

    Args:
        train, validation: normalised texts with ``label``.
        vectoriser_spec: ``vocabulary`` and ``sequence_length`` (:func:`fit_text_vectoriser`).
        model_params: ``embedding_dim``, ``conv_filters``, ``kernel_size``, ``pool_size``,
            ``lstm_units``, ``bidirectional``, ``dropout``.
        training_params: ``learning_rate``, ``max_epochs``, ``batch_size``,
            ``early_stopping`` (``patience``, ``min_delta``), ``verbose``; optionally
            ``schedule`` (``constant`` or ``cosine``) and ``final_fraction``
            (:func:`_learning_rate`).
        seed: seeds Python, NumPy, TensorFlow and the shuffling.

    Returns:
        The model on normalised text (vectoriser + network, logit out) and its history:
        per-epoch ``loss, accuracy, val_loss, val_accuracy``, ``best_epoch`` (from 1),
        ``epochs_run``, ``train_seconds`` and ``notes_left_out``.
    """
    set_global_seed(seed)
    vocabulary = vectoriser_spec["vocabulary"]
    sequence_length = int(vectoriser_spec["sequence_length"])
    vectoriser = text_vectoriser(vocabulary, sequence_length)
    fits = {
        name: frame[frame["text"].str.len() <= sequence_length]
        for name, frame in (("train", train), ("validation", validation))
    }
    batch_size = int(training_params["batch_size"])
    with training_strategy().scope():  # multi-node on Azure ML when configured
        network = build_classifier(
            vocabulary_size=len(vocabulary),
            sequence_length=sequence_length,
            learning_rate=_learning_rate(
                training_params, steps_per_epoch=-(-len(fits["train"]) // batch_size)
            ),
            **model_params,
        )
    train_batches = _token_dataset(
        vectoriser(tf.constant(fits["train"]["text"].to_numpy(dtype=object))),
        fits["train"]["label"].to_numpy(),
        batch_size,
        shuffle_seed=seed,
    )
    validation_batches = _token_dataset(
        vectoriser(tf.constant(fits["validation"]["text"].to_numpy(dtype=object))),
        fits["validation"]["label"].to_numpy(),
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
        "Training on %d notes (validation %d), window %d characters, batch %d, at most %d epochs",
        len(fits["train"]),
        len(fits["validation"]),
        sequence_length,
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
    record["notes_left_out"] = len(train) + len(validation) - sum(map(len, fits.values()))
    logger.info(
        "Trained %d epochs in %.1f s; weights of epoch %d restored (val_loss %.3g)",
        record["epochs_run"],
        seconds,
        record["best_epoch"],
        record["val_loss"][record["best_epoch"] - 1],
    )
    return text_classifier(vectoriser, network), record


def _calibrate(
    logits: np.ndarray, labels: np.ndarray, calibration: dict[str, Any]
) -> dict[str, Any]:
    """Temperature, recall-floor threshold and ECE before/after from validation logits."""
    temperature = fit_temperature(logits, labels)
    bins = int(calibration["bins"])
    raw, calibrated = sigmoid(logits), sigmoid(logits, temperature)
    threshold = recall_floor_threshold(
        calibrated, labels, float(calibration["recall_floor"]), float(calibration["max_threshold"])
    )
    return {
        "temperature": temperature,
        "threshold": threshold,
        "validation_recall_at_threshold": float((calibrated[labels == 1] >= threshold).mean()),
        "validation_accuracy_at_threshold": float(((calibrated >= threshold) == labels).mean()),
        "ece_raw": expected_calibration_error(raw, labels, bins),
        "ece_calibrated": expected_calibration_error(calibrated, labels, bins),
        "reliability": {
            "raw": reliability_bins(raw, labels, bins),
            f"temperature {temperature:.2f}": reliability_bins(calibrated, labels, bins),
        },
    }


CALIBRATION_METRICS = (
    "temperature",
    "threshold",
    "validation_recall_at_threshold",
    "ece_raw",
    "ece_calibrated",
)


def _calibration_metrics(result: dict[str, Any], *model: str) -> dict[str, dict[str, float]]:
    return {
        metric_key(PROBLEM, "validation", *model, name): {"value": float(result[name]), "step": 0}
        for name in CALIBRATION_METRICS
    }


def calibrate_compliance_model(
    model: keras.Model, validation: pd.DataFrame, calibration: dict[str, Any]
) -> tuple[dict[str, Any], Figure, dict[str, dict[str, float]]]:
    """Temperature and threshold from the validation notes, with ECE before and after.

    Args:
        model: the trained model (normalised text in, logit out).
        validation: normalised validation notes with ``label``.
        calibration: ``bins`` (of the ECE and the diagram), ``recall_floor`` (recall on
            non-compliant notes the threshold must reach on validation) and
            ``max_threshold`` (the threshold never exceeds it).

    Returns:
        ``{"temperature", "threshold", "validation_recall_at_threshold", "ece_raw",
        "ece_calibrated", "reliability"}``, the reliability diagram and MLflow metrics
        ``components.validation.*``.
    """
    notes = validation[validation["text"].str.len() <= _window(model)]
    logits = model.predict(
        np.asarray(notes["text"], dtype=object), batch_size=1024, verbose=0
    ).ravel()
    result = _calibrate(logits, notes["label"].to_numpy(), calibration)
    figure = reliability_figure(result["reliability"], "Component compliance, validation notes")
    logger.info(
        "Temperature %.3f: validation ECE %.4f -> %.4f; threshold %.4f gives recall %.4f",
        result["temperature"],
        result["ece_raw"],
        result["ece_calibrated"],
        result["threshold"],
        result["validation_recall_at_threshold"],
    )
    return result, figure, _calibration_metrics(result)


def _window(model: keras.Model) -> int:
    return int(model.get_layer("vectoriser").get_config()["output_sequence_length"])


def summarise_training(
    history: dict[str, Any],
) -> tuple[Figure, dict[str, list[dict[str, float | int]]]]:
    """Training curves figure and per-epoch MLflow metric histories (epochs from 1).

    ``loss``/``accuracy`` become ``components.epoch.*``, ``val_loss``/``val_accuracy``
    ``components.validation.*``.
    """
    figure = training_curves_figure(
        {key: history[key] for key in EPOCH_METRICS},
        f"Component compliance character LSTM (best epoch {history['best_epoch']})",
    )
    epoch_metrics = {
        metric_key(PROBLEM, stage, name): metric_history(history[key])
        for key, (stage, name) in EPOCH_METRIC_NAMES.items()
    }
    return figure, epoch_metrics


def package_compliance_model(
    model: keras.Model, calibration: dict[str, Any], input_example: list[str], max_chars: int
) -> tuple[ComponentComplianceModel, dict[str, Any]]:
    """Normalisation, the Keras model, temperature and threshold as one pyfunc.

    Returns:
        The pyfunc (registered by the catalog as ``@challenger``) and a small model card.
    """
    package = ComponentComplianceModel(
        keras_model=model,
        input_example=pd.DataFrame({TEXT_COLUMN: list(input_example)}),
        threshold=calibration["threshold"],
        max_chars=max_chars,
        sequence_length=_window(model),
        temperature=calibration["temperature"],
    )
    vectoriser = model.get_layer("vectoriser")
    card = {
        "tokens": "characters of the normalised note (TextVectorization inside the model)",
        "vocabulary_size": int(vectoriser.vocabulary_size()),
        "oov_token": OOV_TOKEN,
        "sequence_length": package.sequence_length,
        "longer_notes": "rejected with InputValidationError, never cut",
        "temperature": package.temperature,
        "threshold": package.threshold,
        "max_chars": max_chars,
        "input": "DataFrame with a 'text' column (or a list of strings)",
        "output": "DataFrame: probability (of non-compliance, calibrated), label (1 = not)",
        "parameters": int(model.count_params()),
    }
    return package, card


def fit_tfidf_classifier(
    train: pd.DataFrame, vectoriser_spec: dict[str, Any], baseline: dict[str, Any], seed: int
) -> Any:
    """The TF-IDF + logistic-regression candidate, fitted on the network's training notes.

    Notes longer than the window are left out, as they are for the network, so both
    candidates learn from the same notes.

    Args:
        train: normalised training notes with ``label``.
        vectoriser_spec: ``sequence_length`` (:func:`fit_text_vectoriser`).
        baseline: ``ngram_range``, ``max_features``, ``C``
            (:func:`mlops_lab.components.baseline.fit_tfidf_baseline`).
        seed: seed of the logistic regression.
    """
    notes = train[train["text"].str.len() <= int(vectoriser_spec["sequence_length"])]
    started = time.perf_counter()
    pipeline = fit_tfidf_baseline(notes["text"], notes["label"], baseline, seed)
    logger.info(
        "Fitted TF-IDF + logistic regression on %d notes (%d n-grams) in %.1f s",
        len(notes),
        len(pipeline.named_steps["tfidf"].vocabulary_),
        time.perf_counter() - started,
    )
    return pipeline


def calibrate_tfidf_classifier(
    pipeline: Any,
    validation: pd.DataFrame,
    vectoriser_spec: dict[str, Any],
    calibration: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, dict[str, float]]]:
    """The baseline's temperature and recall-floor threshold, fitted on the same validation
    notes and with the same ``calibration`` parameters as the network's.

    Returns:
        The calibration (as :func:`calibrate_compliance_model`) and MLflow metrics
        ``components.validation.tfidf_logreg.*``.
    """
    notes = validation[validation["text"].str.len() <= int(vectoriser_spec["sequence_length"])]
    logits = pipeline.decision_function(notes["text"].tolist())
    result = _calibrate(logits, notes["label"].to_numpy(), calibration)
    logger.info(
        "TF-IDF temperature %.3f: validation ECE %.4f -> %.4f; threshold %.4f gives recall %.4f",
        result["temperature"],
        result["ece_raw"],
        result["ece_calibrated"],
        result["threshold"],
        result["validation_recall_at_threshold"],
    )
    return result, _calibration_metrics(result, TfidfComplianceModel.kind)


def package_tfidf_model(
    pipeline: Any,
    calibration: dict[str, Any],
    vectoriser_spec: dict[str, Any],
    input_example: list[str],
    max_chars: int,
) -> TfidfComplianceModel:
    """The baseline with the network's window, its own temperature and threshold, as the
    same served interface (:class:`mlops_lab.components.baseline.TfidfComplianceModel`)."""
    return TfidfComplianceModel(
        pipeline,
        input_example=pd.DataFrame({TEXT_COLUMN: list(input_example)}),
        threshold=calibration["threshold"],
        max_chars=max_chars,
        sequence_length=int(vectoriser_spec["sequence_length"]),
        temperature=calibration["temperature"],
    )


def predict_test_texts(challenger: RegisteredModel, test: pd.DataFrame) -> pd.DataFrame:
    """A registered model's prediction for every test note, through its pyfunc.

    A note the model refuses (longer than its window) is not cut: it is reported as
    ``refused`` and counted as called non-compliant (``predicted`` 1, ``probability``
    1.0), the safe side, as a note sent to a person would be.

    Returns:
        ``text, label, probability, predicted, refused``, the slice columns (``family``,
        ``hard_case``, ``fact_token``) and ``model_name``, ``model_version``, one row
        per test note.
    """
    predictions = predict_notes(challenger.python_model, test).assign(
        model_name=challenger.name, model_version=str(challenger.version)
    )
    logger.info(
        "Predicted %d test notes with %s v%s (%d refused)",
        len(test),
        challenger.reference,
        challenger.version,
        int(predictions["refused"].sum()),
    )
    return predictions


def _test_metrics(predictions: pd.DataFrame) -> dict[str, float]:
    """Accuracy, macro-F1, per-class precision/recall/F1 and log loss of ``predictions``."""
    names = [CLASS_NAMES[i] for i in predictions["label"]]
    predicted = [CLASS_NAMES[i] for i in predictions["predicted"]]
    metrics = classification_metrics(names, predicted, CLASS_NAMES)
    probability = predictions["probability"].clip(1e-7, 1 - 1e-7)
    metrics["loss"] = float(log_loss(predictions["label"], probability, labels=[0, 1]))
    labels = predictions["label"].to_numpy()
    metrics["recall_non_compliant"] = float(predictions["predicted"].to_numpy()[labels == 1].mean())
    metrics["ece"] = expected_calibration_error(
        predictions["probability"].to_numpy(), labels, ECE_BINS
    )
    metrics["refused"] = int(predictions["refused"].sum()) if "refused" in predictions else 0
    return metrics


def analyse_classification_errors(
    predictions: pd.DataFrame, evaluation: dict[str, Any]
) -> dict[str, Any]:
    """Test figures, figures per slice with bootstrap intervals beside the rule reader,
    the confusion matrix, and the misclassified notes with their reasons and slices.

    Slices (:func:`mlops_lab.components.evaluation.slice_masks`): the latest fact before
    or after ``late_fact_token``, each hard-case kind, each length band. The rule's
    keyword reader (:func:`mlops_lab.components.rule.read_label`) is scored on the same
    notes as a reference. Each misclassified note carries the rule's reason for its true
    label (facts as the keyword reader finds them) and its slices. MLflow names:
    ``components.test.<metric>`` and ``components.test.slice.<slice>.<figure>``.

    Args:
        predictions: :func:`predict_test_texts` output.
        evaluation: ``late_fact_token``, ``length_bands`` and ``bootstrap``
            (``resamples``, ``level``, ``seed``).
    """
    masks = slice_masks(predictions, int(evaluation["late_fact_token"]), evaluation["length_bands"])
    bootstrap = evaluation["bootstrap"]
    slices = slice_table(
        predictions,
        {
            "model": predictions["predicted"],
            "rule_reader": predictions["text"].map(read_label),
        },
        masks,
        resamples=int(bootstrap["resamples"]),
        level=float(bootstrap["level"]),
        seed=int(bootstrap["seed"]),
    )
    correct = predictions["label"] == predictions["predicted"]
    facts = pd.DataFrame([vars(read_attributes(text)) for text in predictions["text"]])
    facts.index = predictions.index
    wrong = predictions.loc[~correct].join(facts.loc[~correct])
    in_slices = [
        "; ".join(name for name, mask in masks.items() if name != "all" and mask[row])
        for row in wrong.index
    ]
    misclassified = wrong.assign(
        true_label_reason=[
            violation_reasons(None if pd.isna(year) else int(year), condition, material)
            for year, condition, material in wrong[["year", "condition", "material"]].itertuples(
                index=False
            )
        ],
        slices=in_slices,
    ).reset_index(drop=True)
    metrics = _test_metrics(predictions)
    names = [CLASS_NAMES[i] for i in predictions["label"]]
    predicted = [CLASS_NAMES[i] for i in predictions["predicted"]]
    figure = confusion_matrix_figure(
        names, predicted, CLASS_NAMES, "Component compliance, held-out template families"
    )
    model_rows = slices[slices["model"] == "model"]
    logger.info(
        "Test accuracy %.4f, recall non-compliant %.4f, ECE %.4f, %d misclassified; worst slice %s",
        metrics["accuracy"],
        metrics["recall_non_compliant"],
        metrics["ece"],
        len(misclassified),
        model_rows.sort_values("accuracy").iloc[0][["slice", "n", "accuracy"]].to_dict(),
    )
    mlflow_metrics = {
        metric_key(PROBLEM, "test", name): {"value": value, "step": 0}
        for name, value in metrics.items()
    }
    for row in slices[slices["n"] > 0].itertuples():
        model = () if row.model == "model" else (row.model,)
        for figure_name in ("accuracy", "recall_non_compliant", "precision_non_compliant"):
            value = getattr(row, figure_name)
            if not np.isnan(value):
                key = metric_key(PROBLEM, "test", "slice", row.slice, *model, figure_name)
                mlflow_metrics[key] = {"value": float(value), "step": 0}
    return {
        "metrics": metrics,
        "mlflow_metrics": mlflow_metrics,
        "slices": slices,
        "misclassified": misclassified,
        "confusion_matrix": figure,
    }


def rank_compliance_candidates(
    network: ComponentComplianceModel,
    baseline: TfidfComplianceModel,
    test: pd.DataFrame,
    bootstrap: dict[str, Any],
) -> dict[str, Any]:
    """Both candidates and the rule's keyword reader on the same held-out notes.

    Each candidate is scored through its pyfunc ``predict`` (the code that serves it);
    the better accuracy (the gate's metric; a tie goes to the network) is registered
    last, so that it is the ``@challenger`` the gate compares with the champion.

    Args:
        network, baseline: the packaged candidates (the same objects that get registered).
        test: normalised held-out notes with ``label``.
        bootstrap: ``resamples``, ``level``, ``seed`` of the intervals.

    Returns:
        ``leaderboard`` (one row per model: accuracy, recall and precision on non-compliant
        notes with intervals, ECE, best first), ``ranking`` (``best``, ``runner_up``,
        ``accuracy`` per candidate), ``predictions`` (both candidates' test predictions,
        column ``model``) and MLflow metrics ``components.test.<model>.<figure>``.
    """
    predictions = {
        model.kind: predict_notes(model, test).assign(model=model.kind)
        for model in (network, baseline)
    }
    labels = test["label"].to_numpy()
    called = {kind: frame["predicted"].to_numpy() for kind, frame in predictions.items()}
    called[RULE_READER] = test[TEXT_COLUMN].map(read_label).to_numpy()
    rows = []
    families = test["family"].to_numpy()  # resampled whole: see components.evaluation
    for name, predicted in called.items():
        row = {"model": name, "n": len(labels)} | figures_with_intervals(
            labels,
            predicted,
            int(bootstrap["resamples"]),
            float(bootstrap["level"]),
            int(bootstrap["seed"]),
            families,
        )
        if name in predictions:
            probability = predictions[name]["probability"].to_numpy()
            row |= calibration_error_with_interval(
                probability,
                labels,
                ECE_BINS,
                int(bootstrap["resamples"]),
                float(bootstrap["level"]),
                int(bootstrap["seed"]),
                families,
            )
            row["refused"] = int(predictions[name]["refused"].sum())
        rows.append(row)
    board = pd.DataFrame(rows).sort_values("accuracy", ascending=False, kind="stable")
    board = board.reset_index(drop=True)
    accuracy = {kind: float((called[kind] == labels).mean()) for kind in CANDIDATES}
    best = max(CANDIDATES, key=lambda kind: (accuracy[kind], -CANDIDATES.index(kind)))
    ranking = {
        "metric": "accuracy",
        "accuracy": accuracy,
        "best": best,
        "runner_up": next(kind for kind in CANDIDATES if kind != best),
        "notes": len(labels),
    }
    metrics = {
        metric_key(PROBLEM, "test", row.model, figure): {
            "value": float(getattr(row, figure)),
            "step": 0,
        }
        for row in board.itertuples()
        for figure in ("accuracy", "recall_non_compliant", "precision_non_compliant")
    }
    logger.info(
        "Leaderboard on held-out families (%s registered last, as @challenger):\n%s",
        best,
        board.round(4).to_string(index=False),
    )
    return {
        "leaderboard": board,
        "ranking": ranking,
        "predictions": pd.concat(predictions.values(), ignore_index=True),
        "mlflow_metrics": metrics,
    }


def _notes_metrics(scores: pd.DataFrame, stage: str) -> dict[str, dict[str, float]]:
    """``components.<stage>.<model>.<figure>`` on all notes of one set; undefined figures
    (the rule reader's ECE) left out."""
    metrics = {}
    for row in scores[scores["group"] == "all"].to_dict("records"):
        for name in INDEPENDENT_FIGURES:
            if not pd.isna(row[name]):
                key = metric_key(PROBLEM, stage, row["model"], name)
                metrics[key] = {"value": float(row[name]), "step": 0}
    return metrics


def score_independent_notes(
    network: ComponentComplianceModel,
    baseline: TfidfComplianceModel,
    development: pd.DataFrame,
    sealed: pd.DataFrame,
    sealed_2: pd.DataFrame,
    bootstrap: dict[str, Any],
) -> dict[str, Any]:
    """Both candidates and the rule's keyword reader on the three sets of hand-written notes.

    The notes were written by people, not by the simulator, and no node of the lane fits,
    calibrates or chooses anything on them: this is a check of the run, never an input of
    the ranking or the gate. The development set was read while the simulator was
    widened, so its figures are optimistic; the sealed set was written afterwards by
    someone who saw neither the simulator nor the first set, and no setting is chosen with
    it; the second sealed set was written later still, by a writer who saw nothing of the
    project (not the simulator, not the other sets, not the models), and is the least
    looked-at of the three. Each candidate is scored through its pyfunc ``predict`` (a
    note it refuses counts as called non-compliant), as on the held-out notes; the rule
    reader reads the normalised note.

    Args:
        network, baseline: the packaged candidates (the objects that get registered).
        development: the hand-written development notes, ``text``, ``label``
            (1 = non-compliant), ``kind``.
        sealed, sealed_2: the sealed notes, ``text``, ``year``, ``condition``,
            ``material``, ``label`` (the rule's label of those facts), ``kind``.
        bootstrap: ``resamples``, ``level``, ``seed`` of the intervals.

    Returns:
        ``scores`` (first column ``notes``: ``development``, ``sealed``, ``sealed_2``; one row per
        note group, ``all`` then each kind, and model: accuracy, recall and precision on
        non-compliant notes and, for the candidates, ECE with bootstrap intervals) and
        ``mlflow_metrics`` (on all notes: ``components.independent.<model>.<figure>`` for
        the development set, ``components.sealed.<model>.<figure>`` and
        ``components.sealed_2.<model>.<figure>`` for the sealed ones).

    Raises:
        InputValidationError: naming the set, the column and rows when a set does not fit
            its schema (:data:`mlops_lab.components.schemas.INDEPENDENT_NOTES_SCHEMA`,
            :data:`mlops_lab.components.schemas.SEALED_NOTES_SCHEMA`, which also refuses a
            label that is not the rule's label of the note's facts).
    """
    models = {model.kind: model for model in (network, baseline)}
    sets = (
        ("development", "independent", development, INDEPENDENT_NOTES_SCHEMA, DEVELOPMENT_SOURCE),
        ("sealed", "sealed", sealed, SEALED_NOTES_SCHEMA, SEALED_SOURCE),
        ("sealed_2", "sealed_2", sealed_2, SEALED_NOTES_SCHEMA, SEALED_2_SOURCE),
    )
    tables, metrics = [], {}
    for name, stage, notes, schema, source in sets:
        started = time.perf_counter()
        checked = validate_frame(notes, schema, source)
        validated = time.perf_counter()
        scores = score_labelled_notes(
            models,
            checked.reset_index(drop=True),
            bins=ECE_BINS,
            resamples=int(bootstrap["resamples"]),
            level=float(bootstrap["level"]),
            seed=int(bootstrap["seed"]),
            by="kind",
        )
        overall = scores[scores["group"] == "all"].set_index("model")
        logger.info(
            "Hand-written %s notes (%d, %d non-compliant; not used for any choice), "
            "validated in %.2f s, scored in %.2f s: accuracy %s",
            name,
            len(checked),
            int(checked["label"].sum()),
            validated - started,
            time.perf_counter() - validated,
            ", ".join(f"{model} {value:.4f}" for model, value in overall["accuracy"].items()),
        )
        tables.append(scores.assign(notes=name)[["notes", *scores.columns]])
        metrics |= _notes_metrics(scores, stage)
    return {"scores": pd.concat(tables, ignore_index=True), "mlflow_metrics": metrics}


def _candidate(
    kind: str, network: ComponentComplianceModel, baseline: TfidfComplianceModel
) -> ComplianceTextModel:
    return {model.kind: model for model in (network, baseline)}[kind]


def register_compliance_runner_up(
    network: ComponentComplianceModel,
    baseline: TfidfComplianceModel,
    ranking: dict[str, Any],
) -> ComplianceTextModel:
    """The candidate that scored lower, registered first (a version of
    ``component-compliance`` that the next registration takes ``@challenger`` from)."""
    logger.info("Registering the runner-up %s", ranking["runner_up"])
    return _candidate(ranking["runner_up"], network, baseline)


def register_compliance_challenger(
    network: ComponentComplianceModel,
    baseline: TfidfComplianceModel,
    ranking: dict[str, Any],
    runner_up: RegisteredModel,
) -> tuple[ComplianceTextModel, dict[str, Any]]:
    """The better candidate, registered after the runner-up, so it is ``@challenger``.

    Args:
        network, baseline: the packaged candidates.
        ranking: :func:`rank_compliance_candidates`' ranking.
        runner_up: the runner-up as registered (loaded right after its registration).

    Returns:
        The better candidate (saved as a new version, ``@challenger``) and a record of
        both versions: ``{"runner_up": {"kind", "version"}, "challenger": {"kind"},
        "accuracy"}``.
    """
    if runner_up.python_model.kind != ranking["runner_up"]:
        raise ValueError(
            f"register_compliance_challenger: the runner-up loaded from the registry "
            f"(v{runner_up.version}) is a {runner_up.python_model.kind}, the ranking says "
            f"{ranking['runner_up']}: another registration came in between."
        )
    record = {
        "runner_up": {"kind": ranking["runner_up"], "version": str(runner_up.version)},
        "challenger": {"kind": ranking["best"]},
        "accuracy": ranking["accuracy"],
    }
    logger.info(
        "Registering %s as @challenger (runner-up %s is v%s)",
        ranking["best"],
        ranking["runner_up"],
        runner_up.version,
    )
    return _candidate(ranking["best"], network, baseline), record


def attribute_note_tokens(
    network: ComponentComplianceModel,
    baseline: TfidfComplianceModel,
    predictions: pd.DataFrame,
    attribution: dict[str, Any],
) -> pd.DataFrame:
    """Word occlusion on a sample of held-out notes of both classes, for both candidates.

    The same notes (drawn with ``attribution.seed``, ``attribution.per_class`` of each
    label, the network's mistakes first) are explained for both models.

    Args:
        network, baseline: the packaged candidates.
        predictions: both candidates' test predictions (:func:`rank_compliance_candidates`).
        attribution: ``per_class`` and ``seed``.

    Returns:
        One row per (model, note, word): ``model``, ``note``, ``text``, ``label``,
        ``probability``, ``position``, ``word``, ``attribution``
        (:func:`mlops_lab.components.attribution.occlusion_attributions`).
    """
    network_predictions = predictions[predictions["model"] == network.kind]
    sample = sample_notes(
        network_predictions, int(attribution["per_class"]), int(attribution["seed"])
    )
    frames = []
    for model in (network, baseline):
        words = occlusion_attributions(model, sample["text"].tolist())
        frames.append(
            words.assign(
                model=model.kind,
                text=sample["text"].to_numpy()[words["note"]],
                label=sample["label"].to_numpy()[words["note"]],
            )
        )
    table = pd.concat(frames, ignore_index=True)
    columns = ["model", "note", "text", "label", "probability", "position", "word", "attribution"]
    return table[columns]


def score_promotion_candidates(
    challenger: RegisteredModel,
    incumbent: RegisteredModel | None,
    predictions: pd.DataFrame,
    test: pd.DataFrame,
) -> dict[str, Any]:
    """Accuracy of the challenger and the current champion on the same test texts.

    The challenger's figures come from its predictions through the registered pyfunc
    (:func:`predict_test_texts`, checked to be this version's); the champion is scored
    the same way on the same notes. ``champion`` is None when there is no champion yet
    (or it is the challenger). The challenger's figures in :data:`PROMOTION_METRICS`
    travel with its version.

    Returns:
        ``{"challenger", "champion", "data", "challenger_metrics"}`` for
        :func:`mlops_lab.promotion.decide_promotion`.

    Raises:
        ValueError: when the predictions are not the challenger version's.
    """
    versions = set(predictions["model_version"].astype(str))
    if versions != {str(challenger.version)}:
        raise ValueError(
            f"score_promotion_candidates: test predictions are of version(s) {sorted(versions)}, "
            f"the challenger is v{challenger.version}."
        )
    metrics = _test_metrics(predictions)
    champion = None
    if incumbent is not None and incumbent.version != challenger.version:
        champion = _test_metrics(predict_test_texts(incumbent, test))["accuracy"]
    kind = getattr(challenger.python_model, "kind", type(challenger.python_model).__name__)
    scores = {
        "challenger": metrics["accuracy"],
        "champion": champion,
        "data": (
            f"component_texts_test: {len(test)} notes of {test['family'].nunique()} "
            f"template families held out of training; challenger: {kind}"
        ),
        "challenger_metrics": {
            metric_key(PROBLEM, "test", name): metrics[name] for name in PROMOTION_METRICS
        },
    }
    logger.info(
        "Test accuracy: challenger v%s (%s) %.4f, champion %s",
        challenger.version,
        kind,
        scores["challenger"],
        "none" if champion is None else f"v{incumbent.version} {champion:.4f}",
    )
    return scores


def build_compliance_report(
    card: dict[str, Any],
    data_report: dict[str, Any],
    network_calibration: dict[str, Any],
    baseline_calibration: dict[str, Any],
    leaderboard: pd.DataFrame,
    independent: pd.DataFrame,
    slices: pd.DataFrame,
    test_metrics: dict[str, Any],
    attributions: pd.DataFrame,
    misclassified: pd.DataFrame,
    registration: dict[str, Any],
    promotion: dict[str, Any],
) -> tuple[str, str]:
    """The self-contained HTML report (:func:`mlops_lab.components.report.compliance_report`),
    twice: the versioned file and the copy logged to the MLflow run."""
    page = compliance_report(
        card,
        data_report,
        {
            ComponentComplianceModel.kind: network_calibration,
            TfidfComplianceModel.kind: baseline_calibration,
        },
        leaderboard,
        independent,
        slices,
        test_metrics,
        attributions,
        misclassified,
        registration,
        promotion,
    )
    logger.info("Compliance report: %d characters", len(page))
    return page, page
