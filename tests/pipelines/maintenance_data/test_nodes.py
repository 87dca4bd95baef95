"""Nodes of ``maintenance_data``, including each kind of bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_lab.pipelines.maintenance_data.nodes import (
    derive_maintenance_features,
    parse_maintenance_visits,
    report_maintenance_data,
    split_maintenance_data,
)
from mlops_lab.validation import InputValidationError


def _raw(n: int = 40) -> pd.DataFrame:
    """A small raw file in the lab's format: 1 in 4 visits has an issue, genders alternate."""
    bought = pd.date_range("2010-01-01", periods=n, freq="MS")
    visited = bought + pd.to_timedelta(400 + 10 * pd.RangeIndex(n), unit="D")
    return pd.DataFrame(
        {
            "gender": ["Female", "Male"] * (n // 2),
            "first-name": ["ANNA"] * n,
            "last-name": ["SMITH"] * n,
            "date-bought-car": bought.strftime("%Y-%m-%d"),
            "year-bought-car": bought.year,
            "car-make": ["Manufacturer_1", "Manufacturer_2"] * (n // 2),
            "engine-type": ["petrol", "diesel", "diesel", "petrol"] * (n // 4),
            "year-of-visit": visited.year,
            "date-of-visit": visited.strftime("%Y-%m-%d"),
            "car-age-in-years": visited.year - bought.year,
            "car-miles": 1000 * (1 + pd.RangeIndex(n)),
            "car-age-in-months": (visited - bought).days // 30,
            "has-issue-in-first-10k": [True, False, False, False, True, False, False, False]
            * (n // 8),
        }
    )


def test_parse_types_dates_and_drops_names():
    raw = _raw()
    visits = parse_maintenance_visits(raw)
    assert "first_name" not in visits and "last_name" not in visits
    assert visits["record_id"].tolist() == list(range(40))
    assert str(visits["date_of_visit"].dtype).startswith("datetime64")
    assert visits["has_issue_in_first_10k"].dtype == bool
    assert visits["gender"].tolist() == raw["gender"].tolist()
    assert "first-name" in raw  # input untouched


def _with(column: str, row: int, value) -> pd.DataFrame:
    raw = _raw()
    raw[column] = raw[column].astype(object)
    raw.loc[row, column] = value
    return raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (_with("gender", 3, "X"), r"column 'gender'.*rows \[3\]"),
        (_with("date-of-visit", 5, "2013-13-45"), r"column 'date-of-visit'.*rows \[5\]"),
        (
            _with("date-of-visit", 2, "2009-01-01"),
            r"date-of-visit not before date-bought-car; failed at rows \[2\]",
        ),
        (_with("year-bought-car", 4, 1999), r"year-bought-car equal to the year.*rows \[4\]"),
        (_with("car-miles", 7, -5), r"column 'car-miles'.*rows \[7\]"),
        (_with("has-issue-in-first-10k", 6, "maybe"), r"expected True or False.*rows \[6\]"),
        (_raw().drop(columns=["car-make"]), r"column 'car-make': missing"),
    ],
    ids=["gender", "bad-date", "visit-before-purchase", "year-vs-date", "miles", "target", "col"],
)
def test_bad_input_raises_one_clear_error_naming_column_and_row(raw, expected):
    """The node names what it checked; the session test checks the file is named too."""
    with pytest.raises(InputValidationError, match="(?s)" + expected) as error:
        parse_maintenance_visits(raw)
    assert str(error.value).startswith("car maintenance visits")


def test_features_and_sensitive_attribute_are_kept_apart():
    visits = parse_maintenance_visits(_raw())
    features, sensitive = derive_maintenance_features(visits, min_age_days=30)
    assert "gender" not in features
    assert list(sensitive.columns) == ["record_id", "gender"]
    assert features["record_id"].tolist() == sensitive["record_id"].tolist()
    assert features["has_issue_in_first_10k"].sum() == 10


def test_split_is_stratified_on_target_and_gender_and_aligned():
    visits = parse_maintenance_visits(_raw(80))
    features, sensitive = derive_maintenance_features(visits, min_age_days=30)
    splits = split_maintenance_data(features, sensitive, test_size=0.25, seed=3)
    assert (len(splits["train"]), len(splits["test"])) == (60, 20)
    assert splits["test"]["has_issue_in_first_10k"].sum() == 5  # 1 in 4, exactly
    assert (splits["sensitive_test"]["gender"] == "Female").sum() == 10
    for name in ("train", "test"):
        assert (
            splits[name]["record_id"].tolist() == splits[f"sensitive_{name}"]["record_id"].tolist()
        )
    assert set(splits["train"]["record_id"]).isdisjoint(splits["test"]["record_id"])
    again = split_maintenance_data(features, sensitive, test_size=0.25, seed=3)
    assert again["test"].equals(splits["test"])
    with pytest.raises(ValueError, match="test_size"):
        split_maintenance_data(features, sensitive, test_size=1.5, seed=3)


def test_report_counts_rows_and_balance():
    raw = _raw(80)
    features, sensitive = derive_maintenance_features(parse_maintenance_visits(raw), 30)
    splits = split_maintenance_data(features, sensitive, test_size=0.25, seed=3)
    report = report_maintenance_data(
        raw,
        features,
        splits["train"],
        splits["test"],
        splits["sensitive_train"],
        splits["sensitive_test"],
    )
    assert report["rows_raw"] == report["rows_features"] == 80
    assert report["identifying_columns_dropped"] == ["first-name", "last-name"]
    assert "gender" not in report["feature_columns"]
    assert report["positive_share_test"] == 0.25
    assert report["female_share_train"] == 0.5
