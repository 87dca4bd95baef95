"""Temperature scaling, ECE, the recall-floor threshold and per-slice bootstrap figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.components.calibration import (
    expected_calibration_error,
    fit_temperature,
    recall_floor_threshold,
    reliability_bins,
    sigmoid,
)
from mlops_lab.components.evaluation import figures_with_intervals, slice_masks, slice_table
from mlops_lab.components.rule import read_label


def _overconfident(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from sigmoid(z), logits reported as 5 z: an overconfident model."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, n)
    labels = (rng.random(n) < sigmoid(z)).astype(int)
    return 5 * z, labels


def test_temperature_scaling_recovers_the_overconfidence_and_reduces_ece():
    logits, labels = _overconfident(20000, seed=1)
    temperature = fit_temperature(logits, labels)
    assert temperature == pytest.approx(5.0, rel=0.1)
    raw = expected_calibration_error(sigmoid(logits), labels, bins=15)
    calibrated = expected_calibration_error(sigmoid(logits, temperature), labels, bins=15)
    assert raw > 0.08
    assert calibrated < 0.02
    # Fitted on one sample, it calibrates another drawn the same way.
    other_logits, other_labels = _overconfident(20000, seed=2)
    assert expected_calibration_error(sigmoid(other_logits, temperature), other_labels, 15) < 0.02


def test_ece_and_bins_on_a_hand_computed_case():
    probabilities = np.array([0.1, 0.1, 0.9, 0.9])
    labels = np.array([0, 1, 1, 1])
    rows = reliability_bins(probabilities, labels, bins=10)
    assert [(row["n"], row["observed_share"]) for row in rows] == [(2, 0.5), (2, 1.0)]
    assert expected_calibration_error(probabilities, labels, 10) == pytest.approx(
        0.5 * 0.4 + 0.5 * 0.1
    )


def test_threshold_reaches_the_recall_floor_and_no_more_than_needed():
    probabilities = np.array([0.05, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99, 0.1, 0.4])
    labels = np.array([1] * 10 + [0, 0])
    assert recall_floor_threshold(probabilities, labels, recall_floor=0.9, max_threshold=1) == 0.2
    assert recall_floor_threshold(probabilities, labels, recall_floor=1.0, max_threshold=1) == 0.05
    assert recall_floor_threshold(probabilities, labels, 0.5, max_threshold=0.5) == 0.5
    with pytest.raises(ValueError, match="no non-compliant note"):
        recall_floor_threshold(probabilities[10:], labels[10:], 0.9, 0.5)


def test_bootstrap_interval_brackets_the_figure_and_narrows_with_more_notes():
    labels = np.array([1, 0] * 50)
    predicted = labels.copy()
    predicted[:10] = 1 - predicted[:10]  # 10 errors in 100: accuracy 0.9
    small = figures_with_intervals(labels, predicted, resamples=500, level=0.95, seed=0)
    assert small["accuracy"] == 0.9
    assert small["accuracy_low"] < 0.9 < small["accuracy_high"]
    assert small["accuracy_low"] == pytest.approx(0.84, abs=0.02)
    large = figures_with_intervals(
        np.tile(labels, 10), np.tile(predicted, 10), resamples=500, level=0.95, seed=0
    )
    assert (
        large["accuracy_high"] - large["accuracy_low"]
        < small["accuracy_high"] - small["accuracy_low"] / 2
    )
    assert small["recall_non_compliant"] == 45 / 50


def test_slices_and_the_table_per_model():
    notes = pd.DataFrame(
        {
            "text": ["a b c", "a " * 20, "made of iron gray paint steel good 2001", "x"],
            "label": [1, 0, 0, 1],
            "hard_case": ["none", "none", "compound", "negation"],
            "fact_token": [2, 18, 3, 16],
        }
    )
    masks = slice_masks(notes, late_fact_token=15, length_bands=[15, 25])
    assert masks["fact_after_token_15"].tolist() == [False, True, False, True]
    assert masks["words_16_25"].tolist() == [False, True, False, False]
    assert masks["hard_case_compound"].sum() == 1
    table = slice_table(
        notes,
        {"model": pd.Series([1, 0, 0, 0]), "rule_reader": notes["text"].map(read_label)},
        masks,
        resamples=50,
        level=0.95,
        seed=0,
    ).set_index(["slice", "model"])
    assert table.loc[("all", "model"), "accuracy"] == 0.75
    assert table.loc[("fact_after_token_15", "model"), "recall_non_compliant"] == 0.0
    # The keyword reader takes "iron" in "iron gray paint": it calls the compliant note 1.
    assert table.loc[("hard_case_compound", "rule_reader"), "accuracy"] == 0.0
