"""Figures per slice of held-out notes, with bootstrap intervals.

A slice is a set of notes that is hard in one particular way: a fact stated after a given
word position (a model that reads only the first words misses it), a hard-case kind of
the simulator (negation, compound, two years, the 1995 boundary), a length band. For each
slice and each model (the registered model, the rule's keyword reader, an older version)
the table gives accuracy, recall and precision on non-compliant notes, each with a
percentile bootstrap interval. Held-out notes are resampled by template family (whole
families drawn with replacement): notes of one family share their wording and so their
errors, and resampling single notes would give intervals too narrow for wording never
seen. Hand-written notes, each its own wording, are resampled note by note.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from mlops_lab.components.calibration import expected_calibration_error
from mlops_lab.components.rule import read_label
from mlops_lab.components.text import normalise_text
from mlops_lab.reporting.intervals import (
    bootstrap,
    grouped_positions,
    in_chunks,
    resampled_positions,
)

FIGURES = ("accuracy", "recall_non_compliant", "precision_non_compliant")


def slice_masks(
    notes: pd.DataFrame, late_fact_token: int, length_bands: Sequence[int]
) -> dict[str, pd.Series]:
    """Boolean masks over ``notes`` (``text``, ``hard_case``, ``fact_token``), by slice name.

    Args:
        notes: held-out notes (normalised ``text``).
        late_fact_token: notes whose latest fact is at this word position or later form
            ``fact_after_token_<k>`` (the others ``fact_before_token_<k>``).
        length_bands: upper word counts of the length bands, e.g. ``[15, 25, 40]`` gives
            ``words_1_15``, ``words_16_25``, ``words_26_40``.
    """
    words = notes["text"].str.split().str.len()
    masks = {"all": pd.Series(True, index=notes.index)}
    masks[f"fact_before_token_{late_fact_token}"] = notes["fact_token"] < late_fact_token
    masks[f"fact_after_token_{late_fact_token}"] = notes["fact_token"] >= late_fact_token
    for kind in sorted(notes["hard_case"].unique()):
        masks[f"hard_case_{kind}"] = notes["hard_case"] == kind
    low = 1
    for high in length_bands:
        masks[f"words_{low}_{high}"] = words.between(low, high)
        low = high + 1
    return masks


def _figures(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Accuracy, recall and precision (non-compliant) along the last axis; NaN if undefined."""
    true_positive = ((labels == 1) & (predicted == 1)).sum(axis=-1)
    positives = (labels == 1).sum(axis=-1)
    called = (predicted == 1).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack(
            [
                (labels == predicted).mean(axis=-1),
                np.where(positives > 0, true_positive / positives, np.nan),
                np.where(called > 0, true_positive / called, np.nan),
            ],
            axis=-1,
        )


def figures_with_intervals(
    labels: np.ndarray,
    predicted: np.ndarray,
    resamples: int,
    level: float,
    seed: int,
    groups: np.ndarray | None = None,
) -> dict[str, float]:
    """``accuracy``, ``recall_non_compliant``, ``precision_non_compliant`` with ``_low`` and
    ``_high`` bounds of the percentile bootstrap interval at ``level``; with ``groups``
    (each note's template family) whole families are resampled."""
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    point = _figures(labels, predicted)
    if groups is None:
        draws = resampled_positions(len(labels), resamples, seed)
    else:
        draws = grouped_positions(groups, resamples, seed)
    samples = in_chunks(lambda rows: _figures(labels[rows], predicted[rows]), draws)
    tail = 100 * (1 - level) / 2
    result: dict[str, float] = {}
    for i, name in enumerate(FIGURES):
        column = samples[:, i]
        defined = column[~np.isnan(column)]
        low, high = np.percentile(defined, [tail, 100 - tail]) if defined.size else (np.nan,) * 2
        result |= {name: float(point[i]), f"{name}_low": float(low), f"{name}_high": float(high)}
    return result


def slice_table(
    notes: pd.DataFrame,
    predictions: Mapping[str, pd.Series],
    masks: Mapping[str, pd.Series],
    resamples: int,
    level: float,
    seed: int,
) -> pd.DataFrame:
    """One row per (slice, model): ``n``, ``n_non_compliant`` and the figures with intervals.

    Args:
        notes: held-out notes with ``label``.
        predictions: predicted labels (0/1) per model name, aligned with ``notes``.
        masks: slices from :func:`slice_masks`.
        resamples, level, seed: the bootstrap; with a ``family`` column in ``notes`` it
            resamples whole template families (notes of one family share their errors).
    """
    rows = []
    for name, mask in masks.items():
        labels = notes.loc[mask, "label"].to_numpy()
        groups = notes.loc[mask, "family"].to_numpy() if "family" in notes else None
        for model, predicted in predictions.items():
            row = {"slice": name, "model": model, "n": int(mask.sum())}
            row["n_non_compliant"] = int(labels.sum())
            if mask.any():
                row |= figures_with_intervals(
                    labels, predicted[mask].to_numpy(), resamples, level, seed, groups
                )
            rows.append(row)
    return pd.DataFrame(rows)


def _calibration_errors(probabilities: np.ndarray, labels: np.ndarray, bins: int) -> np.ndarray:
    """ECE of each row of ``probabilities``/``labels`` (same binning as
    :func:`mlops_lab.components.calibration.expected_calibration_error`)."""
    rows, n = probabilities.shape
    index = np.minimum((probabilities * bins).astype(int), bins - 1)
    flat = (index + bins * np.arange(rows)[:, None]).ravel()
    size = rows * bins
    mass = np.bincount(flat, weights=probabilities.ravel(), minlength=size).reshape(rows, bins)
    hits = np.bincount(flat, weights=labels.ravel(), minlength=size).reshape(rows, bins)
    # per bin: (n_b / n) |mean p - share| = |sum p - sum y| / n
    return np.abs(mass - hits).sum(axis=1) / n


def calibration_error_with_interval(
    probabilities: np.ndarray,
    labels: np.ndarray,
    bins: int,
    resamples: int,
    level: float,
    seed: int,
    groups: np.ndarray | None = None,
) -> dict[str, float]:
    """``ece`` with ``ece_low`` and ``ece_high``, the percentile bootstrap interval at
    ``level`` (notes resampled with replacement, or whole ``groups``), ``bins``
    equal-width bins; bias-corrected (resampling inflates a binned ECE, see
    :func:`mlops_lab.reporting.intervals.bootstrap`) and cut at 0."""
    probabilities = np.asarray(probabilities, dtype="float64")
    labels = np.asarray(labels, dtype="float64")
    interval = bootstrap(
        lambda rows: _calibration_errors(probabilities[rows], labels[rows], bins),
        len(labels),
        resamples,
        seed,
        level=level,
        batched=True,
        groups=groups,
        bias_corrected=True,
    )
    return {
        "ece": expected_calibration_error(probabilities, labels, bins),
        "ece_low": max(0.0, interval.low),
        "ece_high": interval.high,
    }


SLICE_COLUMNS = ("family", "hard_case", "fact_token")


def predict_notes(model: Any, notes: pd.DataFrame) -> pd.DataFrame:
    """A served model's prediction for every note (``text``, ``label``), through its
    ``predict``; a note it refuses (longer than its window) is ``refused`` and counted as
    called non-compliant (``predicted`` 1, ``probability`` 1.0), the safe side.

    Returns:
        ``text, label, probability, predicted, refused`` and the slice columns present.
    """
    screen = getattr(model, "rejection_reason", None)
    refused = (
        notes["text"].map(lambda text: screen(text) is not None)
        if screen is not None
        else pd.Series(False, index=notes.index)
    ).to_numpy()
    probability = np.ones(len(notes))
    predicted = np.ones(len(notes), dtype="int64")
    if (~refused).any():
        predictions = model.predict(None, notes.loc[~refused, ["text"]])
        probability[~refused] = predictions["probability"].to_numpy()
        predicted[~refused] = predictions["label"].to_numpy()
    return pd.DataFrame(
        {
            "text": notes["text"].to_numpy(),
            "label": notes["label"].to_numpy(),
            "probability": probability,
            "predicted": predicted,
            "refused": refused,
        }
        | {column: notes[column].to_numpy() for column in SLICE_COLUMNS if column in notes}
    )


def _scored_rows(
    labels: np.ndarray,
    predictions: Mapping[str, pd.DataFrame],
    rule: np.ndarray,
    bins: int,
    resamples: int,
    level: float,
    seed: int,
) -> list[dict[str, Any]]:
    """One row per model (from :func:`predict_notes` output) and one for the rule reader."""
    rows = []
    for name, predicted in predictions.items():
        rows.append(
            {"model": name, "n": len(labels), "refused": int(predicted["refused"].sum())}
            | figures_with_intervals(
                labels, predicted["predicted"].to_numpy(), resamples, level, seed
            )
            | calibration_error_with_interval(
                predicted["probability"].to_numpy(), labels, bins, resamples, level, seed
            )
        )
    rows.append(
        {"model": "rule_reader", "n": len(labels), "refused": 0}
        | figures_with_intervals(labels, rule, resamples, level, seed)
    )
    return rows


def score_labelled_notes(
    models: Mapping[str, Any],
    notes: pd.DataFrame,
    bins: int,
    resamples: int,
    level: float,
    seed: int,
    by: str | None = None,
) -> pd.DataFrame:
    """Registered models and the rule's keyword reader on labelled raw notes.

    One row per model: ``n``, ``refused``, accuracy, recall and precision on
    non-compliant notes and (models only) the ECE, each with its bootstrap interval.
    The rule reader reads the normalised note (:func:`mlops_lab.components.rule.read_label`).
    Each model predicts every note once; groups are scored from those predictions.

    Args:
        models: served models by name (anything with the pyfunc ``predict``).
        notes: raw ``text`` and ``label`` (0 compliant, 1 non-compliant).
        bins: bins of the ECE; resamples, level, seed: the bootstrap.
        by: a column of ``notes`` (e.g. ``kind``): the rows of all notes (``group``
            ``all``) are followed by the rows of each of its values (``group`` the value).

    Returns:
        The table; with ``by``, its first column ``group``.
    """
    labels = notes["label"].to_numpy()
    predictions = {name: predict_notes(model, notes) for name, model in models.items()}
    rule = notes["text"].map(lambda text: read_label(normalise_text(text))).to_numpy()
    groups = {"all": np.ones(len(notes), dtype=bool)}
    if by is not None:
        values = notes[by].astype(str)
        groups |= {value: (values == value).to_numpy() for value in sorted(values.unique())}
    rows = [
        {"group": group} | row
        for group, mask in groups.items()
        for row in _scored_rows(
            labels[mask],
            {name: frame[mask] for name, frame in predictions.items()},
            rule[mask],
            bins,
            resamples,
            level,
            seed,
        )
    ]
    table = pd.DataFrame(rows)
    return table if by is not None else table.drop(columns="group")
