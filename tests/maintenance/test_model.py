"""The registered model on raw visit records: same features as the pipeline, clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlops_lab.maintenance.candidates import build_candidate
from mlops_lab.maintenance.features import derive_features
from mlops_lab.maintenance.model import CarMaintenanceModel
from mlops_lab.pipelines.maintenance_data.nodes import parse_maintenance_visits
from mlops_lab.validation import InputValidationError

RAW = Path(__file__).resolve().parents[2] / "data/01_raw/maintenance/car-maintenance-data.csv"
FRAMING = {
    "name": "at_visit_without_odometer",
    "when": "at a visit",
    "features": ["car_make", "engine_type", "purchase_year", "age_at_visit_days", "visit_month"],
}


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(RAW, nrows=1500)


def fitted_model(raw: pd.DataFrame, framing: dict) -> CarMaintenanceModel:
    """A logistic regression of the framing on ``raw``, packaged as the registered model."""
    features = derive_features(parse_maintenance_visits(raw))
    estimator = build_candidate("lr", {"kind": "logistic_regression"}, framing["features"], 0)
    estimator.fit(features[framing["features"]], features["has_issue_in_first_10k"])
    return CarMaintenanceModel(estimator, framing, 0.5, raw.head(3))


@pytest.fixture(scope="module")
def model(raw: pd.DataFrame) -> CarMaintenanceModel:
    return fitted_model(raw, FRAMING)


def test_raw_records_give_the_features_of_the_data_pipeline(raw, model):
    from_pipeline = derive_features(parse_maintenance_visits(raw))[FRAMING["features"]]
    from_model = model.features(raw)
    pd.testing.assert_frame_equal(from_model, from_pipeline, check_dtype=False)
    assert model.raw_fields == ["car-make", "engine-type", "date-bought-car", "date-of-visit"]
    assert list(model.input_example.columns) == model.raw_fields


def test_predictions_ignore_gender_names_and_the_odometer(raw, model):
    records = raw.head(200)
    changed = records.assign(
        gender=records["gender"].map({"Female": "Male", "Male": "Female"}),
        **{"first-name": "X", "car-miles": 5},
    )
    first, second = model.predict(None, records), model.predict(None, changed)
    pd.testing.assert_frame_equal(first, second)
    assert first["probability"].nunique() > 10
    assert ((first["probability"] >= 0.5).astype(int) == first["label"]).all()
    # the needed fields alone, as JSON records with text dates, give the same answer
    as_json = records[model.raw_fields].astype(str).to_dict("records")
    pd.testing.assert_frame_equal(model.predict(None, as_json), first)


def test_a_missing_field_is_a_client_error_naming_it(raw, model):
    with pytest.raises(InputValidationError, match=r"missing field\(s\) \['date-of-visit'\]"):
        model.predict(None, raw.head(2).drop(columns="date-of-visit"))


def test_an_invalid_value_is_a_client_error_naming_field_and_row(raw, model):
    bad = raw.head(3).astype({"date-bought-car": object}).copy()
    bad.loc[1, "date-bought-car"] = "last spring"
    with pytest.raises(InputValidationError, match="date-bought-car") as error:
        model.predict(None, bad)
    assert "last spring" in str(error.value)
    early = raw.head(2).copy()
    early.loc[0, "date-of-visit"] = "1990-01-01"
    with pytest.raises(InputValidationError) as error:
        model.predict(None, early)
    assert str(error.value) == (
        "car-maintenance model input: field 'date-of-visit': expected a date not before "
        "'date-bought-car'; failed at rows [0] (date-bought-car -> date-of-visit: "
        "['2005-08-01 -> 1990-01-01'])."
    )


def test_the_signature_types_the_fields_and_a_wrong_type_names_each_field(raw, model):
    inputs = model.signature().inputs.to_dict()
    assert [(c["name"], c["type"]) for c in inputs] == [
        ("car-make", "string"),
        ("engine-type", "string"),
        ("date-bought-car", "datetime"),
        ("date-of-visit", "datetime"),
    ]
    bad = raw.head(3)[model.raw_fields].astype(object)
    bad.loc[0, "date-of-visit"] = "2013-02-30"  # no such day
    bad.loc[2, "car-make"] = None
    with pytest.raises(InputValidationError) as error:
        model.predict(None, bad)
    assert str(error.value) == (
        "car-maintenance model input: field 'car-make': expected a string; failed at rows "
        "[2] (values [None]); field 'date-of-visit': expected an ISO 8601 date (YYYY-MM-DD); "
        "failed at rows [0] (values ['2013-02-30'])."
    )


def test_whole_numbers_may_come_as_text_but_not_as_fractions(raw):
    model = fitted_model(raw, {**FRAMING, "features": [*FRAMING["features"], "car_age_months"]})
    assert str(model.input_example["car-age-in-months"].dtype) == "int64"
    records = raw.head(4)[model.raw_fields]
    as_text = records.astype(str)
    pd.testing.assert_frame_equal(model.predict(None, as_text), model.predict(None, records))
    for value in ("96.5", "ninety", True):
        bad = as_text.astype(object)
        bad.loc[3, "car-age-in-months"] = value
        with pytest.raises(InputValidationError) as error:
            model.predict(None, bad)
        assert str(error.value) == (
            "car-maintenance model input: field 'car-age-in-months': expected a whole number; "
            f"failed at rows [3] (values [{value!r}])."
        )
