"""Nodes of ``particle_classification``.

Data come from ``aerosol_model_input`` (a dict of numpy arrays, see ``aerosol_data``);
the label scheme (``label3``, ``label4``, ``label5``) is a parameter. Keras models cross node
boundaries only through the catalog (``.keras`` files), histories as plain dicts.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.utils.class_weight import compute_class_weight
from threadpoolctl import threadpool_limits

from mlops_lab.aerosol.cnn import average_members, build_cnn
from mlops_lab.aerosol.features import day_features
from mlops_lab.aerosol.model import AerosolDayClassifier
from mlops_lab.aerosol.plots import SIMULATED_NOTE
from mlops_lab.reporting.classification import (
    classification_metrics,
    confusion_matrix_figure,
    confusion_matrix_table,
    training_curves_figure,
)
from mlops_lab.seeding import set_global_seed

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation", "test")


def _check_model_input(model_input: dict[str, Any], label_scheme: str) -> None:
    x = model_input.get("x")
    if x is None or len(x) == 0:
        raise ValueError("aerosol_model_input has no days (empty set); run aerosol_data first.")
    if label_scheme not in ("label3", "label4", "label5"):
        raise ValueError(f"label_scheme '{label_scheme}': expected label3, label4 or label5.")
    expected = len(model_input["diameters_nm"])
    if x.ndim != 3 or x.shape[1] != expected:
        raise ValueError(
            f"model input x has shape {x.shape}; expected days x {expected} channels x steps."
        )
    if not np.isfinite(x).all():
        raise ValueError("model input x contains NaN or infinite values; expected complete days.")


def _classes(model_input: dict[str, Any], label_scheme: str) -> list[str]:
    return list(model_input["class_names"][label_scheme])


def _indices(model_input: dict[str, Any], split: dict[str, Any], part: str) -> np.ndarray:
    dates = pd.DatetimeIndex(model_input["dates"]).strftime("%Y-%m-%d")
    return np.flatnonzero(dates.isin(split[part]))


def _assign_blocks(
    blocks: np.ndarray, rng: np.random.Generator, test_fraction: float, validation_fraction: float
) -> dict[str, np.ndarray]:
    unique = np.unique(blocks)
    rng.shuffle(unique)
    n_test = max(1, round(len(unique) * test_fraction)) if test_fraction > 0 else 0
    n_validation = max(1, round(len(unique) * validation_fraction))
    test, validation = unique[:n_test], unique[n_test : n_test + n_validation]
    return {
        "test": np.isin(blocks, test),
        "validation": np.isin(blocks, validation),
        "train": ~np.isin(blocks, np.concatenate([test, validation])),
    }


def split_days(model_input: dict[str, Any], label_scheme: str, split: dict[str, Any]) -> dict:
    """Held-out days for training, early stopping and testing.

    Strategies (``split.strategy``):

    - ``time_blocks`` (default): consecutive blocks of ``block_days`` days are assigned
      whole to test, validation or training (seeded), so test days are never next to
      training days of the same weather spell, and every season is represented;
    - ``years``: ``test_years`` are held out, validation blocks come from the other years;
    - ``random``: the lab's split, random days (``test_fraction`` 0.25 in the lab).

    The assignment is redrawn (seed + 1, ...) until every class is in each part.

    Returns:
        ``{"strategy", "seed", "train", "validation", "test"}``, dates as ``YYYY-MM-DD``.
    """
    _check_model_input(model_input, label_scheme)
    dates = pd.DatetimeIndex(model_input["dates"])
    labels = np.asarray(model_input[label_scheme])
    strategy = split["strategy"]
    for attempt in range(100):
        rng = np.random.default_rng(split["seed"] + attempt)
        if strategy == "random":
            parts = _assign_blocks(
                np.arange(len(dates)), rng, split["test_fraction"], split["validation_fraction"]
            )
        elif strategy in ("time_blocks", "years"):
            blocks = ((dates - dates.min()).days // split["block_days"]).to_numpy()
            if strategy == "years":
                held_out = np.asarray(dates.year.isin(split["test_years"]))
                other = _assign_blocks(blocks[~held_out], rng, 0.0, split["validation_fraction"])
                parts = {"test": held_out, "validation": np.zeros(len(dates), bool)}
                parts["validation"][~held_out] = other["validation"]
                parts["train"] = ~parts["test"] & ~parts["validation"]
            else:
                parts = _assign_blocks(
                    blocks, rng, split["test_fraction"], split["validation_fraction"]
                )
        else:
            raise ValueError(f"split strategy '{strategy}': expected time_blocks, years or random.")
        if all(set(labels[parts[p]]) == set(labels) for p in SPLITS):
            break
    else:
        raise ValueError(
            f"could not give every class to train, validation and test with strategy "
            f"'{strategy}' on {len(dates)} days; use more data or smaller blocks."
        )
    result = {"strategy": strategy, "seed": split["seed"] + attempt}
    for part in SPLITS:
        result[part] = dates[parts[part]].strftime("%Y-%m-%d").tolist()
    logger.info(
        "Split (%s): train %d, validation %d, test %d days",
        strategy,
        *(len(result[p]) for p in SPLITS),
    )
    return result


def _one_hot(labels: np.ndarray, classes: list[str]) -> np.ndarray:
    index = np.array([classes.index(v) for v in labels])
    return keras.utils.to_categorical(index, len(classes))


def train_cnn(
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    cnn: dict[str, Any],
    seed: int,
) -> dict[str, Any]:
    """Train the CNN (an ensemble of ``ensemble_size`` members) with early stopping.

    Each member is the same architecture trained from its own seed (``seed + i``) with
    early stopping on the validation days; the saved model averages their probabilities.

    Args:
        model_input: Day tensors and labels.
        split: Output of :func:`split_days`.
        label_scheme: ``label3``, ``label4`` or ``label5``.
        cnn: ``architecture`` (see :func:`mlops_lab.aerosol.cnn.build_cnn`), ``epochs``,
            ``batch_size``, ``patience``, ``ensemble_size``, ``class_weight``
            (``balanced`` or null), ``verbose`` (Keras progress: 0, 1 or 2).
        seed: Seed of Python, NumPy and TensorFlow.

    Returns:
        ``model`` (saved as ``.keras`` by the catalog) and ``history``: per member the
        per-epoch ``loss, accuracy, val_loss, val_accuracy`` and ``best_epoch``, plus
        ``training_seconds``.
    """
    _check_model_input(model_input, label_scheme)
    classes = _classes(model_input, label_scheme)
    x, labels = model_input["x"], np.asarray(model_input[label_scheme])
    train, validation = (_indices(model_input, split, p) for p in ("train", "validation"))
    weights = None
    if cnn.get("class_weight") == "balanced":
        present = np.unique(labels[train])
        values = compute_class_weight("balanced", classes=present, y=labels[train])
        weights = {classes.index(c): float(w) for c, w in zip(present, values, strict=True)}
    y_train, y_validation = _one_hot(labels[train], classes), _one_hot(labels[validation], classes)
    members, histories = [], []
    started = time.perf_counter()
    for member in range(cnn.get("ensemble_size", 1)):
        set_global_seed(seed + member)
        model = build_cnn(x.shape[1:], len(classes), cnn["architecture"], name=f"cnn_{member}")
        stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=cnn["patience"], restore_best_weights=True
        )
        logger.info("Training CNN member %d of %d", member + 1, cnn.get("ensemble_size", 1))
        fitted = model.fit(
            x[train],
            y_train,
            validation_data=(x[validation], y_validation),
            epochs=cnn["epochs"],
            batch_size=cnn["batch_size"],
            class_weight=weights,
            callbacks=[stopping],
            shuffle=True,
            verbose=cnn.get("verbose", 2),
        )
        history = {key: [float(v) for v in values] for key, values in fitted.history.items()}
        history["best_epoch"] = int(np.argmin(history["val_loss"]) + 1)
        members.append(model)
        histories.append(history)
    seconds = time.perf_counter() - started
    logger.info(
        "CNN trained in %.1f s: %d member(s), epochs %s",
        seconds,
        len(members),
        [len(h["loss"]) for h in histories],
    )
    return {
        "model": average_members(members),
        "history": {"members": histories, "training_seconds": seconds},
    }


def train_feature_baseline(
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    baseline: dict[str, Any],
    seed: int,
) -> dict[str, Any]:
    """Gradient boosting on hand-made features (:mod:`mlops_lab.aerosol.features`).

    Trained on the training and validation days (it needs no early-stopping set).
    ``baseline`` holds the ``HistGradientBoostingClassifier`` settings plus ``threads``
    (OpenMP threads; 1 keeps it fast on a busy machine, where spinning threads stall).

    Returns:
        ``{"estimator", "feature_names", "training_seconds"}`` (pickled by the catalog).
    """
    _check_model_input(model_input, label_scheme)
    rows = np.concatenate([_indices(model_input, split, p) for p in ("train", "validation")])
    features = day_features(
        model_input["x"][rows],
        model_input["diameters_nm"],
        model_input["preprocessing"]["step_minutes"],
    )
    labels = np.asarray(model_input[label_scheme])[rows]
    settings = {k: v for k, v in baseline.items() if k != "threads"}
    started = time.perf_counter()
    with threadpool_limits(limits=baseline.get("threads")):
        estimator = HistGradientBoostingClassifier(random_state=seed, **settings).fit(
            features, labels
        )
    seconds = time.perf_counter() - started
    logger.info("Feature baseline trained in %.1f s on %d days", seconds, len(rows))
    return {
        "estimator": estimator,
        "feature_names": list(features.columns),
        "training_seconds": seconds,
    }


def evaluate_classifiers(
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    cnn_model: keras.Model,
    cnn_history: dict[str, Any],
    baseline: dict[str, Any],
) -> dict[str, Any]:
    """Score the CNN, the feature baseline and the majority class on the test days.

    Returns:
        ``leaderboard`` (one row per model), ``metrics`` (for MLflow: ``<model>.<metric>``),
        ``confusion`` (CNN counts, true x predicted) and ``predictions`` (per test day:
        truth, each model's class, CNN probabilities).
    """
    _check_model_input(model_input, label_scheme)
    classes = _classes(model_input, label_scheme)
    train, test = (_indices(model_input, split, p) for p in ("train", "test"))
    if len(test) == 0:
        raise ValueError("the split has no test days.")
    labels = np.asarray(model_input[label_scheme])
    truth = labels[test]
    x_test = model_input["x"][test]
    probabilities = cnn_model.predict(x_test, verbose=0)
    features = day_features(
        x_test, model_input["diameters_nm"], model_input["preprocessing"]["step_minutes"]
    )
    values, counts = np.unique(labels[train], return_counts=True)
    majority = values[np.argmax(counts)]
    predicted = {
        "cnn": np.array(classes)[probabilities.argmax(axis=1)],
        "feature_baseline": baseline["estimator"].predict(features[baseline["feature_names"]]),
        "majority_class": np.full(len(test), majority),
    }
    seconds = {
        "cnn": cnn_history["training_seconds"],
        "feature_baseline": baseline["training_seconds"],
        "majority_class": 0.0,
    }
    rows, metrics = [], {}
    for name, prediction in predicted.items():
        scores = classification_metrics(truth, prediction, classes)
        rows.append(
            {
                "model": name,
                "accuracy": scores["accuracy"],
                "macro_f1": scores["macro_f1"],
                "test_days": len(test),
                "training_seconds": seconds[name],
                "label_scheme": label_scheme,
                "split": split["strategy"],
                "data": "simulated DMPS",
            }
        )
        scores["training_seconds"] = seconds[name]
        metrics.update({f"{name}.{k}": {"value": v, "step": 0} for k, v in scores.items()})
    leaderboard = pd.DataFrame(rows).sort_values("macro_f1", ascending=False)
    predictions = pd.DataFrame(
        {
            "date": pd.DatetimeIndex(model_input["dates"][test]).strftime("%Y-%m-%d"),
            "true_class": truth,
            **{f"{name}_class": p for name, p in predicted.items()},
            **{f"cnn_probability_{c}": probabilities[:, i] for i, c in enumerate(classes)},
        }
    )
    logger.info("Leaderboard (simulated data):\n%s", leaderboard.to_string(index=False))
    return {
        "leaderboard": leaderboard.reset_index(drop=True),
        "metrics": metrics,
        "confusion": confusion_matrix_table(truth, predicted["cnn"], classes).reset_index(),
        "predictions": predictions,
    }


def plot_confusion_matrix(
    predictions: pd.DataFrame, model_input: dict[str, Any], label_scheme: str
) -> Figure:
    """CNN confusion matrix on the test days, counts and row-normalised."""
    return confusion_matrix_figure(
        predictions["true_class"],
        predictions["cnn_class"],
        _classes(model_input, label_scheme),
        f"CNN on held-out days ({label_scheme}) - {SIMULATED_NOTE}",
    )


def plot_training_curves(history: dict[str, Any]) -> Figure:
    """Training and validation loss/accuracy per epoch (first member bold, others faint)."""
    members = history["members"]
    figure = training_curves_figure(
        {k: v for k, v in members[0].items() if isinstance(v, list)},
        f"CNN training, {len(members)} member(s) - {SIMULATED_NOTE}",
    )
    for other in members[1:]:
        for ax, metric in zip(figure.axes[:2], ("accuracy", "loss"), strict=True):
            for key, style in ((metric, "-"), (f"val_{metric}", "--")):
                values = other.get(key, [])
                ax.plot(range(1, len(values) + 1), values, style, color="grey", alpha=0.4)
    return figure


def format_epoch_metrics(history: dict[str, Any]) -> dict[str, list[dict[str, float]]]:
    """Per-epoch history as MLflow metric histories (``cnn.m<i>.<metric>`` per step)."""
    return {
        f"cnn.m{i}.{key}": [{"value": float(v), "step": e} for e, v in enumerate(values, start=1)]
        for i, member in enumerate(history["members"])
        for key, values in member.items()
        if isinstance(values, list)
    }


def _load(partition: Callable[[], pd.DataFrame] | pd.DataFrame) -> pd.DataFrame:
    return partition if isinstance(partition, pd.DataFrame) else partition()


def sample_training_data(
    raw_exports: dict[str, Callable[[], pd.DataFrame]],
    labels: pd.DataFrame,
    n_rows: int,
    seed: int,
) -> dict[str, pd.DataFrame]:
    """``n_rows`` random rows of the raw size distribution and of the labels (as the lab saved)."""
    rng = np.random.default_rng(seed)
    names = sorted(raw_exports)
    raw = _load(raw_exports[names[int(rng.integers(len(names)))]])
    return {
        "raw": raw.sample(n=min(n_rows, len(raw)), random_state=seed),
        "labels": labels.sample(n=min(n_rows, len(labels)), random_state=seed),
    }


def _fingerprint(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def describe_training_inputs(model_input: dict[str, Any], split: dict[str, Any]) -> dict:
    """What the model was trained on: content fingerprints, days, dates, split sizes."""
    dates = pd.DatetimeIndex(model_input["dates"])
    return {
        "dataset": "aerosol_model_input",
        "x_sha256_16": _fingerprint(model_input["x"]),
        "labels_sha256_16": _fingerprint(np.asarray(model_input["label5"]).astype("U16")),
        "days": len(dates),
        "first_day": f"{dates.min():%Y-%m-%d}",
        "last_day": f"{dates.max():%Y-%m-%d}",
        "split_strategy": split["strategy"],
        "split_sizes": {p: len(split[p]) for p in SPLITS},
        "preprocessing": model_input["preprocessing"],
        "note": SIMULATED_NOTE,
    }


def _example_day(raw_exports: dict[str, Any], split: dict[str, Any]) -> pd.DataFrame:
    """All rows of one complete, held-out day of the newest export (the input example)."""
    for name in sorted(raw_exports, reverse=True):
        raw = _load(raw_exports[name])
        day = pd.to_datetime(raw[["Year", "Month", "Day"]]).dt.strftime("%Y-%m-%d")
        counts = day.value_counts()
        complete = [d for d in split["test"] if counts.get(d, 0) == 144]
        for date in complete:
            rows = raw[day == date]
            if not rows.isna().any().any():
                return rows.reset_index(drop=True)
    raise ValueError("no complete held-out day in the raw exports to use as input example.")


def package_classifier(
    cnn_model: keras.Model,
    model_input: dict[str, Any],
    label_scheme: str,
    raw_exports: dict[str, Callable[[], pd.DataFrame]],
    split: dict[str, Any],
) -> AerosolDayClassifier:
    """Preprocessing + CNN as one pyfunc model (registered as ``aerosol-event-classifier``)."""
    columns = sorted({c for name in raw_exports for c in _load(raw_exports[name]).columns})
    return AerosolDayClassifier(
        network=cnn_model,
        preprocessing=model_input["preprocessing"],
        class_names=_classes(model_input, label_scheme),
        input_example=_example_day(raw_exports, split),
        description=f"NPF day classifier ({label_scheme}); trained on {SIMULATED_NOTE}",
        input_columns=columns,
    )
