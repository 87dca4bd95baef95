"""The registered model: raw visit records in, probability of an early issue out.

One MLflow pyfunc packages what a prediction needs under its prediction-time framing:
the check of the raw fields that framing uses (the raw file's column names, e.g.
``date-bought-car``), the feature derivation of :mod:`mlops_lab.maintenance.features`
(the same code ``maintenance_data`` runs), the fitted scikit-learn pipeline and the
threshold chosen on validation data. Other columns of a record (``gender``, names, the
odometer under a framing without it) are ignored: they are never inputs.

:class:`mlops_lab.registry.RegisteredModelDataset` registers it as ``car-maintenance``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
import pandera.pandas as pa
from mlflow.models import ModelSignature, infer_signature
from threadpoolctl import threadpool_limits

from mlops_lab.maintenance.features import derive_feature_subset, raw_fields_for
from mlops_lab.maintenance.schemas import RAW_MAINTENANCE_SCHEMA
from mlops_lab.validation import MAX_ROWS_SHOWN, InputValidationError, validate_frame

MODEL_NAME = "car-maintenance"
SOURCE = "car-maintenance model input"
TYPED_NAMES = {"car_age_in_years": "car_age_years", "car_age_in_months": "car_age_months"}
EXPECTED = {
    "date": "an ISO 8601 date (YYYY-MM-DD)",
    "integer": "a whole number",
    "text": "a string",
}
INT64_BOUND = 2**63


def input_schema(raw_fields: Sequence[str]) -> pa.DataFrameSchema:
    """The raw file's value checks for just these fields (ranges, non-empty text)."""
    return pa.DataFrameSchema(
        {name: RAW_MAINTENANCE_SCHEMA.columns[name] for name in raw_fields}, strict=False
    )


def _field_type(name: str) -> str:
    dtype = str(RAW_MAINTENANCE_SCHEMA.columns[name].dtype)
    return "date" if dtype.startswith("datetime") else "integer" if "int" in dtype else "text"


def _typed_field(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """``values`` as dates, 64-bit integers or text, and where they are not one."""
    if kind == "date":
        dates = pd.to_datetime(values, errors="coerce", format="ISO8601")
        if getattr(dates.dt, "tz", None) is not None:
            dates = dates.dt.tz_convert(None)
        return dates, dates.isna()
    if kind == "integer":
        numbers = pd.to_numeric(values.map(_not_boolean), errors="coerce")
        bad = numbers.isna() | (numbers % 1 != 0) | (numbers.abs() >= INT64_BOUND)
        return numbers.where(~bad, 0).astype("int64"), bad
    return values, ~values.map(lambda value: isinstance(value, str))


def _not_boolean(value: Any) -> Any:
    return None if isinstance(value, bool | np.bool_) else value


def typed_fields(records: pd.DataFrame, raw_fields: Sequence[str]) -> pd.DataFrame:
    """The raw fields typed as the raw file types them: dates, whole numbers, text.

    Text that reads as the type is accepted (``"96"`` for a number of months, as in the
    CSV file), so records straight from the file and JSON records give the same answer.

    Raises:
        InputValidationError: naming each field that is not of its type, with the rows
            and values concerned.
    """
    typed, problems = {}, []
    for name in raw_fields:
        kind = _field_type(name)
        typed[name], bad = _typed_field(records[name], kind)
        if bad.any():
            rows = bad[bad].index.tolist()[:MAX_ROWS_SHOWN]
            problems.append(
                f"field '{name}': expected {EXPECTED[kind]}; failed at rows {rows} "
                f"(values {records[name][rows].tolist()})"
            )
    if problems:
        raise InputValidationError(f"{SOURCE}: " + "; ".join(problems) + ".")
    return pd.DataFrame(typed, index=records.index)


def check_visit_order(visits: pd.DataFrame) -> None:
    """A visit cannot come before the purchase (when both dates are fields).

    Raises:
        InputValidationError: naming the rows and both dates.
    """
    bought, visited = "date-bought-car", "date-of-visit"
    if not {bought, visited} <= set(visits):
        return
    early = visits[visited] < visits[bought]
    if early.any():
        rows = early[early].index.tolist()[:MAX_ROWS_SHOWN]
        pairs = [
            f"{visits.loc[row, bought].date()} -> {visits.loc[row, visited].date()}" for row in rows
        ]
        raise InputValidationError(
            f"{SOURCE}: field '{visited}': expected a date not before '{bought}'; failed at "
            f"rows {rows} ({bought} -> {visited}: {pairs})."
        )


def typed_visits(validated: pd.DataFrame) -> pd.DataFrame:
    """Raw column names as the typed visit table names them (``car-make`` -> ``car_make``)."""
    return validated.rename(columns=lambda name: name.replace("-", "_")).rename(columns=TYPED_NAMES)


def _records(model_input: Any) -> pd.DataFrame:
    if isinstance(model_input, pd.DataFrame):
        return model_input
    if isinstance(model_input, Mapping):
        values = dict(model_input)
        scalar = all(
            not isinstance(v, list | tuple | np.ndarray | pd.Series) for v in values.values()
        )
        return pd.DataFrame([values] if scalar else values)
    if isinstance(model_input, list | tuple) and all(isinstance(r, Mapping) for r in model_input):
        return pd.DataFrame(list(model_input))
    raise InputValidationError(
        f"{SOURCE}: expected a table of visit records (a DataFrame, a record or a list of "
        f"records), got {type(model_input).__name__}."
    )


class CarMaintenanceModel(mlflow.pyfunc.PythonModel):
    """Probability that a car has an issue before 10,000 miles, from raw visit records.

    Args:
        estimator: Fitted scikit-learn pipeline on the framing's feature columns.
        framing: ``{"name", "when", "features"}`` of the prediction-time framing.
        threshold: Probability from which the label is 1 (chosen on validation data).
        input_example: Raw records (the raw fields the framing needs) logged with the model.
        min_age_days: Floor on the car's age in the mileage rate (as in ``maintenance_data``).
    """

    def __init__(
        self,
        estimator: Any,
        framing: Mapping[str, Any],
        threshold: float,
        input_example: pd.DataFrame,
        min_age_days: int = 30,
    ) -> None:
        self.estimator = estimator
        self.framing = {
            "name": str(framing["name"]),
            "when": str(framing.get("when", "")),
            "features": list(framing["features"]),
        }
        self.raw_fields = list(raw_fields_for(self.framing["features"]))
        self.threshold = float(threshold)
        self.min_age_days = int(min_age_days)
        missing = [f for f in self.raw_fields if f not in input_example]
        if missing:
            raise ValueError(f"input_example lacks the raw field(s) {missing} the framing needs.")
        # Typed as the raw file types its fields, so the signature (and an endpoint that
        # checks requests against it) asks for dates, whole numbers and strings.
        self.input_example = typed_fields(
            input_example[self.raw_fields].reset_index(drop=True), self.raw_fields
        )

    def signature(self) -> ModelSignature:
        """The framing's raw fields in; ``probability`` and ``label`` out."""
        return infer_signature(self.input_example, self.predict(None, self.input_example))

    def features(self, model_input: Any) -> pd.DataFrame:
        """Validate the raw records and derive the framing's features.

        Raises:
            InputValidationError: naming each missing or invalid field, with its rows
                (a client error: the record, not the model, must change).
        """
        records = _records(model_input)
        missing = [f for f in self.raw_fields if f not in records]
        if missing:
            raise InputValidationError(
                f"{SOURCE}: missing field(s) {missing}; the '{self.framing['name']}' framing "
                f"needs {self.raw_fields}."
            )
        if records.empty:
            return pd.DataFrame(columns=self.framing["features"])
        typed = typed_fields(records[self.raw_fields].reset_index(drop=True), self.raw_fields)
        validated = validate_frame(typed, input_schema(self.raw_fields), SOURCE)
        check_visit_order(validated)
        return derive_feature_subset(
            typed_visits(validated), self.framing["features"], self.min_age_days
        )

    def score_features(self, features: pd.DataFrame) -> pd.DataFrame:
        """Probability and label for rows of already derived features."""
        if features.empty:
            return pd.DataFrame(
                {"probability": pd.Series(dtype="float64"), "label": pd.Series(dtype="int64")}
            )
        with threadpool_limits(limits=1):
            probability = self.estimator.predict_proba(features[self.framing["features"]])[:, 1]
        return pd.DataFrame(
            {
                "probability": probability.astype("float64"),
                "label": (probability >= self.threshold).astype("int64"),
            }
        )

    def predict(self, context, model_input, params: dict | None = None) -> pd.DataFrame:
        """MLflow entry point: raw records -> ``probability``, ``label``."""
        return self.score_features(self.features(model_input))
