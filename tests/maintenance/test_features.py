"""Maintenance features: values derived from dates, and the sensitive attribute left out."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_lab.maintenance.features import FEATURE_COLUMNS, derive_features


def _visits() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_id": [0, 1],
            "gender": ["Female", "Male"],
            "date_bought_car": pd.to_datetime(["2010-03-01", "2019-12-01"]),
            "date_of_visit": pd.to_datetime(["2012-03-01", "2019-12-11"]),
            "car_make": ["Manufacturer_1", "Manufacturer_2"],
            "engine_type": ["petrol", "diesel"],
            "car_age_years": [2, 0],
            "car_age_months": [24, 0],
            "car_miles": [20000, 500],
            "has_issue_in_first_10k": [True, False],
        }
    )


def test_features_are_derived_from_dates_and_miles():
    visits = _visits()
    features = derive_features(visits, min_age_days=30)
    assert features["age_at_visit_days"].tolist() == [731, 10]
    assert features["miles_per_year"].iloc[0] == pytest.approx(20000 / (731 / 365.25), abs=0.1)
    # ten days old: the age floor of 30 days keeps the rate finite and plausible
    assert features["miles_per_year"].iloc[1] == pytest.approx(500 / (30 / 365.25), abs=0.1)
    assert features["purchase_year"].tolist() == [2010, 2019]
    assert features["visit_month"].tolist() == [3, 12]
    assert features["has_issue_in_first_10k"].tolist() == [1, 0]
    assert visits.equals(_visits())  # input untouched


def test_gender_is_never_a_feature():
    features = derive_features(_visits(), min_age_days=30)
    assert "gender" not in features.columns
    assert "gender" not in FEATURE_COLUMNS
    assert list(features.columns) == ["record_id", *FEATURE_COLUMNS, "has_issue_in_first_10k"]
