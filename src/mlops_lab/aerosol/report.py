"""The ``aerosol-event-classifier`` HTML report: model card, held-out figures with bootstrap
intervals, confusion matrix and occlusion explanations, in one self-contained file
(:mod:`mlops_lab.reporting.html`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_lab.aerosol import explanations
from mlops_lab.reporting.classification import confusion_matrix_figure
from mlops_lab.reporting.html import Section, image, items, paragraph, render, table
from mlops_lab.reporting.intervals import bootstrap


def _accuracy(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Accuracy of each row (resample) of label matrices."""
    return np.mean(truth == predicted, axis=-1)


def _macro_f1(truth: np.ndarray, predicted: np.ndarray, classes: Sequence[str]) -> np.ndarray:
    """Macro-F1 of each row (resample) of label matrices; a class never true nor
    predicted in a row counts 0, as ``classification_metrics`` does."""
    scores = []
    for name in classes:
        true_positive = np.sum((truth == name) & (predicted == name), axis=-1)
        wrong = np.sum((truth == name) != (predicted == name), axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            f1 = np.where(true_positive > 0, 2 * true_positive / (2 * true_positive + wrong), 0.0)
        scores.append(f1)
    return np.mean(scores, axis=0)


def heldout_intervals(
    predictions: pd.DataFrame,
    candidates: Sequence[str],
    classes: Sequence[str],
    resamples: int,
    seed: int,
) -> pd.DataFrame:
    """Accuracy and macro-F1 of each candidate on the test days, with 95 % intervals.

    Test days are resampled with replacement (the same resamples for every candidate).
    Macro-F1 counts a class absent from a resample's truth and predictions as 0, as
    :func:`mlops_lab.reporting.classification.classification_metrics` does.

    Returns:
        One row per candidate: ``model``, ``test days``, ``accuracy`` and ``macro-F1``
        as ``value [low, high]``.

    Raises:
        ValueError: when a candidate has no ``<name>_class`` column.
    """
    missing = [c for c in candidates if f"{c}_class" not in predictions.columns]
    if missing or "true_class" not in predictions.columns:
        raise ValueError(
            f"aerosol_test_predictions: no true_class or class column of candidates {missing}."
        )
    truth = predictions["true_class"].astype(str).to_numpy()
    rows = []
    for name in candidates:
        predicted = predictions[f"{name}_class"].astype(str).to_numpy()
        accuracy = bootstrap(
            lambda p, y=predicted: _accuracy(truth[p], y[p]),
            len(truth),
            resamples,
            seed,
            batched=True,
        )
        f1 = bootstrap(
            lambda p, y=predicted: _macro_f1(truth[p], y[p], classes),
            len(truth),
            resamples,
            seed,
            batched=True,
        )
        rows.append(
            {
                "model": name,
                "test days": len(truth),
                "accuracy [95 % interval]": str(accuracy),
                "macro-F1 [95 % interval]": str(f1),
            }
        )
    return pd.DataFrame(rows)


def explanation_blocks(attributions: Mapping[str, Any], top_regions: int) -> list[str]:
    """The method, one figure per true class and the table of each day's top regions."""
    patch = attributions["patch"]
    minutes = patch["steps"] * int(attributions["step_minutes"])
    blocks = [
        paragraph(
            "Occlusion: each patch of "
            f"{patch['channels']} size channels x {minutes} minutes of a day is covered with "
            f"the same pixels of {attributions['baseline']}, and the drop of the "
            "probability of the class the CNN gave the day is recorded "
            f"({len(attributions['dates'])} held-out days, all covered copies scored"
            f" in {attributions['seconds']:.1f} s). Red: the patch supported the class "
            "(covering it lowers the probability); blue: it argued against it. The "
            f"white boxes on the surface plot are the {top_regions} patches with the largest "
            "drops. Per true class, the test days the CNN gives that class the highest "
            "probability."
        )
    ]
    true_classes = list(attributions["true_class"])
    for name in attributions["classes"]:
        days = [i for i, c in enumerate(true_classes) if c == name]
        if not days:
            blocks.append(paragraph(f"No test day of class {name}.", "warn"))
            continue
        blocks.append(
            image(
                explanations.attribution_figure(attributions, days, top_regions),
                f"True class {name}: what the CNN based its class on",
            )
        )
    blocks.append(
        table(
            explanations.regions_table(attributions, top_regions),
            caption="Top regions of each explained day (drop of the class probability)",
        )
    )
    return blocks


def aerosol_report(
    leaderboard: pd.DataFrame,
    predictions: pd.DataFrame,
    training_inputs: Mapping[str, Any],
    promotion: Mapping[str, Any],
    attributions: Mapping[str, Any],
    card: Mapping[str, Any],
    top_regions: int,
) -> str:
    """The whole report as one HTML string.

    Args:
        leaderboard: ``aerosol_leaderboard`` (CNN and baselines on the test days).
        predictions: ``aerosol_test_predictions`` (per test day: truth, each class).
        training_inputs: ``aerosol_training_inputs`` (days, dates, split, data note).
        promotion: The gate's decision (``aerosol_event_classifier_promotion_report``).
        attributions: Output of the ``explain_cnn_days`` node.
        card: ``intended_use``, ``limitations``, ``bootstrap`` (``resamples``, ``seed``).
        top_regions: Patches outlined per explained day.
    """
    classes = list(attributions["classes"])
    settings = card["bootstrap"]
    intervals = heldout_intervals(
        predictions,
        leaderboard["model"].tolist(),
        classes,
        int(settings["resamples"]),
        int(settings["seed"]),
    )
    challenger = promotion.get("challenger", {})
    sizes = training_inputs["split_sizes"]
    scheme = str(leaderboard["label_scheme"].iloc[0])
    sections = [
        Section(
            "Model card",
            [
                paragraph(
                    f"DMPS size distributions behind every figure here: "
                    f"{training_inputs['note']}. The day labels are the real SMEAR II "
                    "(Hyytiälä) event classification.",
                    "warn",
                ),
                items(
                    [
                        f"Model: {promotion.get('model_name', 'aerosol-event-classifier')} "
                        f"version {challenger.get('version', '?')}: preprocessing + CNN "
                        "(an average of seeded members) as one MLflow pyfunc on raw DMPS rows",
                        f"Classes ({scheme}): {', '.join(classes)}",
                        f"Data: {training_inputs['days']} days, {training_inputs['first_day']} "
                        f"to {training_inputs['last_day']}; split "
                        f"{training_inputs['split_strategy']}: {sizes['train']} training, "
                        f"{sizes['validation']} validation (early stopping), {sizes['test']} "
                        "test days (whole blocks of days, never used for fitting or choosing)",
                        f"Intended use: {card['intended_use']}",
                        f"Limitations: {card['limitations']}",
                        f"Promotion: {promotion.get('reason', 'not decided')}",
                    ]
                ),
                table(
                    intervals,
                    caption="Held-out test days: figure [95 % bootstrap interval over days]",
                ),
                image(
                    confusion_matrix_figure(
                        predictions["true_class"],
                        predictions["cnn_class"],
                        classes,
                        f"CNN on the held-out days ({training_inputs['note']})",
                    ),
                    "CNN confusion matrix on the test days: counts and row-normalised",
                ),
            ],
        ),
        Section("Explanations", explanation_blocks(attributions, top_regions)),
    ]
    return render(
        "aerosol-event-classifier: model card and explanations",
        f"version {challenger.get('version', '?')}; DMPS data: {training_inputs['note']}; "
        "labels: real SMEAR II classification",
        sections,
    )
