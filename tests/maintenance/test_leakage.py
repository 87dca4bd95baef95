"""Leakage audit: a feature the label was recorded from is found and refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.maintenance.leakage import LeakageError, audit_features, check_features


def _visits(n: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    miles = rng.integers(0, 100_000, n)
    age = (miles / 12_000 + rng.normal(0, 1.5, n)).clip(0)
    return pd.DataFrame(
        {
            "car_miles": miles,
            "car_age_years": age.round(1),
            "car_make": rng.choice(["A", "B", "C"], n),
            "has_issue_in_first_10k": (miles < 10_000).astype(int),
        }
    )


def _audit(frame: pd.DataFrame) -> pd.DataFrame:
    return audit_features(
        frame, "has_issue_in_first_10k", ["car_miles", "car_age_years", "car_make"], 0.99, 0.8
    )


def test_the_definitional_rule_is_found_with_its_threshold():
    audit = _audit(_visits()).set_index("feature")
    assert audit.loc["car_miles", "verdict"] == "definitional_leak"
    assert audit.loc["car_miles", "split_balanced_accuracy"] == 1.0
    rule = audit.loc["car_miles", "rule"]
    assert rule.startswith("car_miles <= ")
    assert 9_000 < float(rule.split("<=")[1]) < 11_000
    assert audit.loc["car_age_years", "verdict"] != "definitional_leak"
    assert audit.loc["car_make", "verdict"] == "weak"
    assert 0.45 < audit.loc["car_make", "roc_auc"] < 0.6


def test_a_leak_is_refused_naming_feature_and_rule_unless_allowed_with_a_reason():
    audit = _audit(_visits())
    with pytest.raises(LeakageError, match=r"'car_miles' \(rule: car_miles <= \d+"):
        check_features("odometer", ["car_make", "car_miles"], audit, {})
    with pytest.raises(LeakageError, match="allowed_leaks"):  # an empty reason is no reason
        check_features("odometer", ["car_miles"], audit, {"car_miles": "  "})
    allowed = {"car_miles": "shows what the leak does to the scores"}
    assert check_features("odometer", ["car_miles"], audit, allowed) == ["car_miles"]
    assert check_features("at_visit", ["car_make", "car_age_years"], audit, {}) == [
        "car_make",
        "car_age_years",
    ]


def test_audit_names_missing_columns():
    with pytest.raises(ValueError, match=r"\['engine_type'\]"):
        audit_features(_visits(), "has_issue_in_first_10k", ["engine_type"], 0.99, 0.8)
