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
from mlops_lab.validation import InputValidationError, validate_frame

MODEL_NAME = "car-maintenance"
SOURCE = "car-maintenance model input"
TYPED_NAMES = {"car_age_in_years": "car_age_years", "car_age_in_months": "car_age_months"}


def input_schema(raw_fields: Sequence[str]) -> pa.DataFrameSchema:
    """The raw file's checks for just these fields (and the date order when both dates are)."""
    columns = {name: RAW_MAINTENANCE_SCHEMA.columns[name] for name in raw_fields}
    checks = []
    if {"date-bought-car", "date-of-visit"} <= set(raw_fields):
        bought, visited = "date-bought-car", "date-of-visit"
        checks.append(
            pa.Check(
                lambda df: ~(df[visited] < df[bought]),
                error="date-of-visit not before date-bought-car",
            )
        )
    return pa.DataFrameSchema(columns, checks=checks, strict=False)


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
        self.input_example = input_example[self.raw_fields].astype(str).reset_index(drop=True)

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
        validated = validate_frame(
            records[self.raw_fields].reset_index(drop=True), input_schema(self.raw_fields), SOURCE
        )
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
