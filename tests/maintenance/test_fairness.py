"""Fairness helpers agree with fairlearn's definitions."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import (
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
)

from mlops_lab.maintenance.fairness import age_bands, group_table, parity_summary


def test_parity_summary_equals_fairlearn():
    rng = np.random.default_rng(1)
    y = (rng.random(900) < 0.2).astype(int)
    group = np.where(rng.random(900) < 0.4, "Female", "Male")
    predicted = (rng.random(900) < np.where(group == "Female", 0.3, 0.2)).astype(int)
    got = parity_summary(y, predicted, group == "Female")
    expected = {
        "demographic_parity_difference": demographic_parity_difference,
        "demographic_parity_ratio": demographic_parity_ratio,
        "equalized_odds_difference": equalized_odds_difference,
        "equalized_odds_ratio": equalized_odds_ratio,
    }
    for name, function in expected.items():
        assert got[name] == pytest.approx(function(y, predicted, sensitive_features=group)), name


def test_group_table_counts_and_rates_per_group():
    y = np.array([1, 0, 0, 1, 1, 0])
    predicted = np.array([1, 1, 0, 0, 1, 0])
    table = group_table(y, predicted, {"gender": ["F", "F", "F", "M", "M", "M"]})
    female = table.set_index("group").loc["F"]
    assert (female["count"], female["positives"]) == (3, 1)
    assert female["selection_rate"] == pytest.approx(2 / 3)
    assert female["false_positive_rate"] == pytest.approx(0.5)
    assert table.set_index("group").loc["M", "true_positive_rate"] == pytest.approx(0.5)


def test_age_bands_start_at_the_edges_and_the_last_is_open():
    assert age_bands([0, 1.9, 2, 5, 9, 12], [0, 2, 4]).tolist() == [
        "0-2 y",
        "0-2 y",
        "2-4 y",
        "4+ y",
        "4+ y",
        "4+ y",
    ]
