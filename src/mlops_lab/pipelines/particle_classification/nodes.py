"""Nodes of ``particle_classification``.

Data come from ``aerosol_model_input`` (a dict of numpy arrays, see ``aerosol_data``);
the label scheme (``label3``, ``label4``, ``label5``) is a parameter. Keras models cross node
boundaries only through the catalog (``.keras`` files), histories as plain dicts. Held-out
days come from :mod:`mlops_lab.aerosol.splits`, the compared candidates from
:mod:`mlops_lab.aerosol.candidates`.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import keras
import numpy as np
import pandas as pd
import tensorflow as tf
from matplotlib.figure import Figure
from sklearn.utils.class_weight import compute_class_weight

from mlops_lab.aerosol import explanations, splits
from mlops_lab.aerosol import report as aerosol_report
from mlops_lab.aerosol.candidates import Days, NetworkClassifier, build_candidate
from mlops_lab.aerosol.cnn import average_members, build_cnn
from mlops_lab.aerosol.model import AerosolDayClassifier
from mlops_lab.aerosol.preprocessing import PreprocessingConfig, unscale_tensors
from mlops_lab.distribution import training_strategy
from mlops_lab.registry import RegisteredModel
from mlops_lab.reporting.classification import (
    classification_metrics,
    confusion_matrix_figure,
    confusion_matrix_table,
    training_curves_figure,
)
from mlops_lab.seeding import set_global_seed
from mlops_lab.tracking import metric_history, metric_key

logger = logging.getLogger(__name__)

PROBLEM = "aerosol"
CNN = "cnn"


def _days(model_input: Mapping[str, Any], rows: np.ndarray) -> Days:
    return Days(
        x=model_input["x"][rows],
        diameters_nm=np.asarray(model_input["diameters_nm"]),
        step_minutes=int(model_input["preprocessing"]["step_minutes"]),
    )


def _rows(model_input: Mapping[str, Any], split: Mapping[str, Any], *parts: str) -> np.ndarray:
    return np.concatenate([splits.part_indices(model_input["dates"], split, p) for p in parts])


def split_days(model_input: dict[str, Any], label_scheme: str, split: dict[str, Any]) -> dict:
    """Held-out days for training, early stopping and testing (:func:`splits.split_days`).

    Returns:
        ``{"strategy", "seed", "train", "validation", "test"}``, dates as ``YYYY-MM-DD``.
    """
    splits.check_model_input(model_input, label_scheme)
    result = splits.split_days(model_input["dates"], model_input[label_scheme], split)
    logger.info(
        "Split (%s): train %d, validation %d, test %d days",
        result["strategy"],
        *(len(result[p]) for p in splits.PARTS),
    )
    return result


def _one_hot(labels: np.ndarray, classes: list[str]) -> np.ndarray:
    index = np.array([classes.index(v) for v in labels])
    return keras.utils.to_categorical(index, len(classes))


def _batches(
    x: np.ndarray, y: np.ndarray, batch_size: int, shuffle_seed: int | None = None
) -> tf.data.Dataset:
    """An in-memory ``tf.data`` pipeline: cached, reshuffled each epoch, prefetched."""
    data = tf.data.Dataset.from_tensor_slices((x, y.astype(np.float32))).cache()
    if shuffle_seed is not None:
        data = data.shuffle(len(x), seed=shuffle_seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def train_cnn(
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    cnn: dict[str, Any],
    seed: int,
) -> dict[str, Any]:
    """Train the CNN (an average of ``ensemble_size`` members) with early stopping.

    Each member is the same architecture trained from its own seed (``seed + i``) until
    the validation loss has not improved for ``patience`` epochs (at most ``epochs``);
    its best weights are restored. The saved model averages the members' probabilities.

    Args:
        model_input: Day tensors and labels.
        split: Output of :func:`split_days`.
        label_scheme: ``label3``, ``label4`` or ``label5``.
        cnn: ``architecture`` (see :func:`mlops_lab.aerosol.cnn.build_cnn`), ``epochs``,
            ``batch_size``, ``patience``, ``ensemble_size``, ``class_weight``
            (``balanced`` or null), ``steps_per_execution`` (batches per compiled call,
            default 1), ``verbose`` (Keras progress: 0, 1 or 2).
        seed: Seed of Python, NumPy and TensorFlow.

    Returns:
        ``model`` (saved as ``.keras`` by the catalog) and ``history``: per member the
        per-epoch ``loss, accuracy, val_loss, val_accuracy`` and ``best_epoch``, plus
        ``training_seconds``.
    """
    splits.check_model_input(model_input, label_scheme)
    classes = splits.class_names(model_input, label_scheme)
    x, labels = model_input["x"], np.asarray(model_input[label_scheme])
    train, validation = (
        splits.part_indices(model_input["dates"], split, p) for p in ("train", "validation")
    )
    if len(train) == 0 or len(validation) == 0:
        raise ValueError(
            f"aerosol_split has {len(train)} training and {len(validation)} validation days; "
            "the CNN needs both (early stopping on validation)."
        )
    weights = None
    if cnn.get("class_weight") == "balanced":
        present = np.unique(labels[train])
        values = compute_class_weight("balanced", classes=present, y=labels[train])
        weights = {classes.index(c): float(w) for c, w in zip(present, values, strict=True)}
    y_train, y_validation = _one_hot(labels[train], classes), _one_hot(labels[validation], classes)
    validation_batches = _batches(x[validation], y_validation, cnn["batch_size"])
    members, histories = [], []
    n_members = int(cnn.get("ensemble_size", 1))
    started = time.perf_counter()
    for member in range(n_members):
        set_global_seed(seed + member)
        with training_strategy().scope():  # multi-node on Azure ML when configured
            model = build_cnn(
                x.shape[1:],
                len(classes),
                cnn["architecture"],
                name=f"cnn_{member}",
                steps_per_execution=int(cnn.get("steps_per_execution", 1)),
            )
        stopping = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=cnn["patience"], restore_best_weights=True
        )
        logger.info("Training CNN member %d of %d", member + 1, n_members)
        fitted = model.fit(
            _batches(x[train], y_train, cnn["batch_size"], shuffle_seed=seed + member),
            validation_data=validation_batches,
            epochs=cnn["epochs"],
            class_weight=weights,
            callbacks=[stopping],
            shuffle=False,  # the tf.data pipeline reshuffles the training days every epoch
            verbose=cnn.get("verbose", 2),
        )
        history = {key: [float(v) for v in values] for key, values in fitted.history.items()}
        history["best_epoch"] = int(np.argmin(history["val_loss"]) + 1)
        members.append(model)
        histories.append(history)
    seconds = time.perf_counter() - started
    logger.info(
        "CNN trained in %.1f s: %d member(s), epochs %s (best %s)",
        seconds,
        len(members),
        [len(h["loss"]) for h in histories],
        [h["best_epoch"] for h in histories],
    )
    return {
        "model": average_members(members),
        "history": {"members": histories, "training_seconds": seconds},
    }


def train_baselines(
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    baselines: list[dict[str, Any]],
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Fit every configured baseline candidate on the training and validation days.

    Baselines need no early-stopping set, so they see the validation days too.

    Args:
        baselines: Candidate specs (``name``, ``kind`` and the kind's arguments, see
            :func:`mlops_lab.aerosol.candidates.build_candidate`), in leaderboard order.

    Returns:
        ``{name: {"model": fitted candidate, "training_seconds": float}}`` (pickled).
    """
    splits.check_model_input(model_input, label_scheme)
    names = [spec.get("name") for spec in baselines]
    if len(set(names)) != len(names) or CNN in names:
        raise ValueError(
            f"particle_classification.baselines: names {names} must be unique and not '{CNN}'."
        )
    rows = _rows(model_input, split, "train", "validation")
    days, labels = _days(model_input, rows), np.asarray(model_input[label_scheme])[rows]
    fitted: dict[str, dict[str, Any]] = {}
    for spec in baselines:
        started = time.perf_counter()
        model = build_candidate(spec, seed).fit(days, labels)
        fitted[spec["name"]] = {"model": model, "training_seconds": time.perf_counter() - started}
        logger.info(
            "Baseline %s trained in %.1f s on %d days",
            spec["name"],
            fitted[spec["name"]]["training_seconds"],
            len(rows),
        )
    return fitted


def evaluate_classifiers(
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    cnn_model: keras.Model,
    cnn_history: dict[str, Any],
    baselines: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """Score the CNN and every baseline on the same test days.

    Returns:
        ``leaderboard`` (one row per candidate, best macro-F1 first), ``metrics`` (for
        MLflow: ``aerosol.heldout.<candidate>.<metric>``), ``confusion`` (CNN counts, true x
        predicted) and ``predictions`` (per test day: truth, each candidate's class, CNN
        probabilities).
    """
    splits.check_model_input(model_input, label_scheme)
    classes = splits.class_names(model_input, label_scheme)
    test = splits.part_indices(model_input["dates"], split, "test")
    if len(test) == 0:
        raise ValueError("aerosol_split has no test days.")
    truth = np.asarray(model_input[label_scheme])[test]
    days = _days(model_input, test)
    network = NetworkClassifier(cnn_model, classes)
    probabilities = network.probabilities(days)
    predicted = {CNN: np.array(classes, dtype=object)[probabilities.argmax(axis=1)]}
    seconds = {CNN: float(cnn_history["training_seconds"])}
    for name, baseline in baselines.items():
        predicted[name] = baseline["model"].predict(days)
        seconds[name] = float(baseline["training_seconds"])
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
                "data": str(model_input.get("note", "")),
            }
        )
        metrics.update(
            {
                metric_key(PROBLEM, "heldout", name, key): {"value": value, "step": 0}
                for key, value in scores.items()
            }
        )
    leaderboard = pd.DataFrame(rows).sort_values("macro_f1", ascending=False, kind="stable")
    predictions = pd.DataFrame(
        {
            "date": pd.DatetimeIndex(model_input["dates"][test]).strftime("%Y-%m-%d"),
            "true_class": truth,
            **{f"{name}_class": p for name, p in predicted.items()},
            **{f"cnn_probability_{c}": probabilities[:, i] for i, c in enumerate(classes)},
        }
    )
    logger.info(
        "Leaderboard (%s):\n%s", model_input.get("note", ""), leaderboard.to_string(index=False)
    )
    return {
        "leaderboard": leaderboard.reset_index(drop=True),
        "metrics": metrics,
        "confusion": confusion_matrix_table(truth, predicted[CNN], classes).reset_index(),
        "predictions": predictions,
    }


def plot_confusion_matrix(
    predictions: pd.DataFrame, model_input: dict[str, Any], label_scheme: str
) -> Figure:
    """CNN confusion matrix on the test days, counts and row-normalised."""
    return confusion_matrix_figure(
        predictions["true_class"],
        predictions["cnn_class"],
        splits.class_names(model_input, label_scheme),
        f"CNN on held-out days ({label_scheme}) - {model_input.get('note', '')}",
    )


def plot_training_curves(history: dict[str, Any], model_input: dict[str, Any]) -> Figure:
    """Training and validation loss/accuracy per epoch (first member bold, others faint)."""
    members = history["members"]
    figure = training_curves_figure(
        {k: v for k, v in members[0].items() if isinstance(v, list)},
        f"CNN training, {len(members)} member(s) - {model_input.get('note', '')}",
    )
    for other in members[1:]:
        for ax, metric in zip(figure.axes[:2], ("accuracy", "loss"), strict=True):
            for key, style in ((metric, "-"), (f"val_{metric}", "--")):
                values = other.get(key, [])
                ax.plot(range(1, len(values) + 1), values, style, color="grey", alpha=0.4)
    return figure


def format_epoch_metrics(history: dict[str, Any]) -> dict[str, list[dict[str, float]]]:
    """Per-epoch history as MLflow metric histories: ``aerosol.epoch.cnn.m<i>.<metric>``.

    Members and epochs are counted from 1.
    """
    return {
        metric_key(PROBLEM, "epoch", CNN, f"m{i}", key): metric_history(values)
        for i, member in enumerate(history["members"], start=1)
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
        "split_sizes": {p: len(split[p]) for p in splits.PARTS},
        "preprocessing": model_input["preprocessing"],
        "note": str(model_input.get("note", "")),
    }


def _export_days(raw: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(raw[["Year", "Month", "Day"]]).dt.strftime("%Y-%m-%d")


def _example_day(
    raw_exports: dict[str, Any], split: dict[str, Any], steps_per_day: int
) -> pd.DataFrame:
    """All rows of one complete, held-out day of the newest export (the input example)."""
    for name in sorted(raw_exports, reverse=True):
        raw = _load(raw_exports[name])
        day = _export_days(raw)
        counts = day.value_counts()
        for date in split["test"]:
            if counts.get(date, 0) != steps_per_day:
                continue
            rows = raw[day == date]
            if not rows.isna().any().any():
                return rows.reset_index(drop=True)
    raise ValueError(
        "aerosol_dmps_raw: no complete held-out day without missing values to use as the "
        "registered model's input example."
    )


def package_classifier(
    cnn_model: keras.Model,
    model_input: dict[str, Any],
    label_scheme: str,
    raw_exports: dict[str, Callable[[], pd.DataFrame]],
    split: dict[str, Any],
) -> AerosolDayClassifier:
    """Preprocessing + CNN as one pyfunc model (registered as ``aerosol-event-classifier``)."""
    columns = sorted({c for name in raw_exports for c in _load(raw_exports[name]).columns})
    steps_per_day = 24 * 60 // int(model_input["preprocessing"]["step_minutes"])
    return AerosolDayClassifier(
        network=cnn_model,
        preprocessing=model_input["preprocessing"],
        class_names=splits.class_names(model_input, label_scheme),
        input_example=_example_day(raw_exports, split, steps_per_day),
        description=(
            f"NPF day classifier ({label_scheme}); trained on {model_input.get('note', '')}"
        ),
        input_columns=columns,
    )


def _served_classes(
    model: RegisteredModel, raw_exports: dict[str, Any], dates: list[str]
) -> pd.Series:
    """The class the registered model gives each of ``dates`` from the raw export rows."""
    wanted = set(dates)
    classes = []
    for name in sorted(raw_exports):
        raw = _load(raw_exports[name])
        rows = raw[_export_days(raw).isin(wanted).to_numpy()]
        if len(rows):
            result = model.predict(rows.reset_index(drop=True))
            classes.append(result.set_index("date")["predicted_class"])
    served = pd.concat(classes) if classes else pd.Series(dtype=object)
    served = served[~served.index.duplicated(keep="first")]
    return served.reindex(dates).fillna("").astype(str)


def score_promotion_candidates(
    challenger: RegisteredModel,
    incumbent: RegisteredModel | None,
    raw_exports: dict[str, Callable[[], pd.DataFrame]],
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    metric: str,
) -> dict[str, Any]:
    """Score ``@challenger`` and ``@champion`` on the same held-out days, as users call them.

    Both registered models get the raw export rows of the test days (their pyfunc
    ``predict``, preprocessing included); a day a model does not classify counts as wrong.

    Args:
        metric: The gate's metric key (``aerosol.heldout.accuracy``); its last part names
            the figure of :func:`classification_metrics` compared (``accuracy``, ``macro_f1``).

    Returns:
        ``{"challenger", "champion" (None without another champion), "data",
        "challenger_metrics"}`` for :func:`mlops_lab.promotion.decide_promotion`.
    """
    splits.check_model_input(model_input, label_scheme)
    classes = splits.class_names(model_input, label_scheme)
    test = splits.part_indices(model_input["dates"], split, "test")
    if len(test) == 0:
        raise ValueError("aerosol_split has no test days to score the registered models on.")
    dates = pd.DatetimeIndex(model_input["dates"][test]).strftime("%Y-%m-%d").tolist()
    truth = np.asarray(model_input[label_scheme])[test]
    figure = metric.rsplit(".", 1)[-1]

    def score(model: RegisteredModel) -> dict[str, float]:
        scores = classification_metrics(truth, _served_classes(model, raw_exports, dates), classes)
        if figure not in scores:
            raise ValueError(
                f"particle_classification.promotion.metric '{metric}': '{figure}' is not a "
                f"classification metric; expected one of accuracy, macro_f1."
            )
        return scores

    challenger_scores = score(challenger)
    other = incumbent is not None and incumbent.version != challenger.version
    champion_scores = score(incumbent) if other else None
    logger.info(
        "Held-out %s: challenger v%s %.4f, champion %s",
        figure,
        challenger.version,
        challenger_scores[figure],
        f"v{incumbent.version} {champion_scores[figure]:.4f}" if other else "none",
    )
    return {
        "challenger": challenger_scores[figure],
        "champion": champion_scores[figure] if champion_scores else None,
        "data": (
            f"{len(dates)} held-out days ({split['strategy']} split, seed {split['seed']}, "
            f"{dates[0]}..{dates[-1]}) of aerosol_dmps_raw, {label_scheme}; "
            f"{model_input.get('note', '')}"
        ),
        "challenger_metrics": {
            metric_key(PROBLEM, "heldout", key): challenger_scores[key]
            for key in ("accuracy", "macro_f1")
        },
    }


def explain_cnn_days(
    cnn_model: keras.Model,
    model_input: dict[str, Any],
    split: dict[str, Any],
    label_scheme: str,
    predictions: pd.DataFrame,
    settings: dict[str, Any],
) -> dict[str, Any]:
    """Occlusion attributions of the CNN on a few held-out days of each class.

    Per true class ``days_per_class`` typical test days (correctly classified, in the
    middle of the CNN's probabilities for the class); each patch of ``patch``
    (``channels``, ``steps``) is covered with the mean training day, and the copies are
    scored in batches (see :func:`mlops_lab.aerosol.explanations.occlusion`).

    Returns:
        A plain dict: ``dates``, ``true_class``, ``explained_class`` (the CNN's class),
        ``probability``, ``drops`` (days x patches x patches), ``channel_edges``,
        ``step_edges``, ``days`` (dN/dlogDp of the explained days), ``diameters_nm``,
        ``step_minutes``, ``patch``, ``baseline``, ``classes``, ``seconds``.
    """
    started = time.perf_counter()
    classes = splits.class_names(model_input, label_scheme)
    test = splits.part_indices(model_input["dates"], split, "test")
    train = splits.part_indices(model_input["dates"], split, "train")
    test_dates = pd.DatetimeIndex(model_input["dates"][test]).strftime("%Y-%m-%d")
    if list(test_dates) != predictions["date"].astype(str).tolist() or len(train) == 0:
        raise ValueError(
            f"aerosol_test_predictions has {len(predictions)} days, aerosol_split "
            f"{len(test)} test and {len(train)} training days; the explanations need the "
            "test predictions of this split and its training days (the baseline)."
        )
    picked = explanations.pick_days(predictions, classes, int(settings["days_per_class"]))
    x = model_input["x"][test[picked]]
    patch = (int(settings["patch"]["channels"]), int(settings["patch"]["steps"]))
    result = explanations.occlusion(
        # Eager calls: ``predict`` would first compile its function (a second or more).
        lambda batch: keras.ops.convert_to_numpy(cnn_model(batch, training=False)),
        x,
        model_input["x"][train].mean(axis=0),
        patch,
    )
    config = PreprocessingConfig.from_dict(model_input["preprocessing"])
    seconds = time.perf_counter() - started
    logger.info(
        "Occlusion of %d test days (%d patches each, %d images scored) in %.1f s",
        len(picked),
        result.drops[0].size,
        len(picked) * (result.drops[0].size + 1),
        seconds,
    )
    return {
        "dates": predictions["date"].iloc[picked].astype(str).tolist(),
        "true_class": predictions["true_class"].iloc[picked].astype(str).tolist(),
        "explained_class": [classes[i] for i in result.target],
        "probability": result.probabilities[np.arange(len(picked)), result.target].tolist(),
        "drops": result.drops,
        "channel_edges": result.channel_edges,
        "step_edges": result.step_edges,
        "days": unscale_tensors(x, config),
        "diameters_nm": np.asarray(model_input["diameters_nm"]),
        "step_minutes": int(model_input["preprocessing"]["step_minutes"]),
        "patch": {"channels": patch[0], "steps": patch[1]},
        "baseline": f"the mean of the {len(train)} training days",
        "classes": classes,
        "note": str(model_input.get("note", "")),
        "seconds": seconds,
    }


def plot_cnn_attributions(attributions: dict[str, Any], top_regions: int) -> Figure:
    """Every explained day over its surface plot, with the drop of each covered patch."""
    return explanations.attribution_figure(
        attributions, range(len(attributions["dates"])), top_regions, attributions["note"]
    )


def build_aerosol_report(
    leaderboard: pd.DataFrame,
    predictions: pd.DataFrame,
    training_inputs: dict[str, Any],
    promotion: dict[str, Any],
    attributions: dict[str, Any],
    report: dict[str, Any],
    top_regions: int,
) -> tuple[str, str]:
    """The self-contained HTML report, twice: the versioned file and the run's copy.

    Args:
        report: ``intended_use``, ``limitations`` (texts of the model card) and
            ``bootstrap`` (``resamples``, ``seed``) of the intervals over test days.
    """
    html = aerosol_report.aerosol_report(
        leaderboard, predictions, training_inputs, promotion, attributions, report, top_regions
    )
    return html, html
