"""Vectorised bootstrap and permutation evidence, checked against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

from mlops_lab.maintenance.evidence import (
    bootstrap_weights,
    classifier_estimates,
    disparity_evidence,
    ranking_metrics,
    threshold_metrics,
)


def _data(n: int = 600, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.1).astype(int)
    scores = np.round(rng.random(n) + 0.4 * y, 2)  # rounded: ties between scores
    return y, scores


def test_weights_are_counts_of_draws_summing_to_the_rows():
    weights = bootstrap_weights(50, 7, seed=3)
    assert weights.shape == (7, 50)
    assert (weights.sum(axis=1) == 50).all()
    assert not np.array_equal(weights[0], weights[1])
    assert np.array_equal(weights, bootstrap_weights(50, 7, seed=3))


def test_ranking_metrics_equal_scikit_learn_with_sample_weights_and_ties():
    y, scores = _data()
    weights = bootstrap_weights(len(y), 5, seed=1)
    got = ranking_metrics(y, scores, weights)
    for row in range(5):
        assert got["pr_auc"][row] == pytest.approx(
            average_precision_score(y, scores, sample_weight=weights[row]), abs=1e-12
        )
        assert got["roc_auc"][row] == pytest.approx(
            roc_auc_score(y, scores, sample_weight=weights[row]), abs=1e-12
        )


def test_threshold_metrics_equal_scikit_learn():
    y, scores = _data()
    predicted = (scores >= 0.7).astype(int)
    got = threshold_metrics(y, predicted, np.ones((1, len(y))))
    assert got["recall"][0] == pytest.approx(recall_score(y, predicted))
    assert got["precision"][0] == pytest.approx(precision_score(y, predicted))
    assert got["balanced_accuracy"][0] == pytest.approx(balanced_accuracy_score(y, predicted))


def test_interval_brackets_the_observed_value_and_narrows_with_more_rows():
    y, scores = _data(400, seed=2)
    small = classifier_estimates(y, scores, (scores > 0.7).astype(int), 300, seed=4)["pr_auc"]
    y, scores = _data(4000, seed=2)
    large = classifier_estimates(y, scores, (scores > 0.7).astype(int), 300, seed=4)["pr_auc"]
    assert small.low < small.value < small.high
    assert (large.high - large.low) < 0.6 * (small.high - small.low)


def test_a_planted_gap_is_significant_and_no_gap_is_not():
    rng = np.random.default_rng(5)
    n = 2000
    group = rng.random(n) < 0.5
    y = (rng.random(n) < 0.2).astype(int)
    planted = (rng.random(n) < np.where(group, 0.30, 0.10)).astype(int)
    fair = (rng.random(n) < 0.2).astype(int)
    gap = disparity_evidence(y, planted, group, 500, 1000, seed=6)["selection_rate"]
    assert gap["value"] == pytest.approx(0.2, abs=0.04)
    assert gap["low"] > 0.1 and gap["p_value"] < 0.005  # the smallest p of 1,000 shuffles
    none = disparity_evidence(y, fair, group, 500, 1000, seed=6)["selection_rate"]
    assert none["low"] < 0 < none["high"]
    assert none["p_value"] > 0.05
