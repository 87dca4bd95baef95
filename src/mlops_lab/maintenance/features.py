"""Features of a maintenance visit, derived from the typed visit table.

Used by ``maintenance_data`` and by the registered model when it scores new visits, so
both compute the features the same way. Each feature has one derivation and names the
raw-file fields it needs (:data:`RAW_FIELDS`): the model asks a caller only for the
fields its prediction-time framing uses. The sensitive attribute never enters
:data:`FEATURE_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

ID_COLUMN = "record_id"
TARGET = "has_issue_in_first_10k"
SENSITIVE_COLUMNS = ("gender",)
CATEGORICAL_FEATURES = ("car_make", "engine_type")
NUMERIC_FEATURES = (
    "car_age_years",
    "car_age_months",
    "car_miles",
    "age_at_visit_days",
    "miles_per_year",
    "purchase_year",
    "purchase_month",
    "visit_month",
)
FEATURE_COLUMNS = CATEGORICAL_FEATURES + NUMERIC_FEATURES
DAYS_PER_YEAR = 365.25

# The raw file's fields (its column names) each feature is derived from.
RAW_FIELDS: dict[str, tuple[str, ...]] = {
    "car_make": ("car-make",),
    "engine_type": ("engine-type",),
    "car_age_years": ("car-age-in-years",),
    "car_age_months": ("car-age-in-months",),
    "car_miles": ("car-miles",),
    "age_at_visit_days": ("date-bought-car", "date-of-visit"),
    "miles_per_year": ("car-miles", "date-bought-car", "date-of-visit"),
    "purchase_year": ("date-bought-car",),
    "purchase_month": ("date-bought-car",),
    "visit_month": ("date-of-visit",),
}


def _age_days(visits: pd.DataFrame) -> pd.Series:
    return (visits["date_of_visit"] - visits["date_bought_car"]).dt.days


def _derivations(min_age_days: int) -> dict[str, Callable[[pd.DataFrame], np.ndarray]]:
    return {
        "car_make": lambda v: v["car_make"].astype(str).to_numpy(),
        "engine_type": lambda v: v["engine_type"].astype(str).to_numpy(),
        "car_age_years": lambda v: v["car_age_years"].to_numpy(),
        "car_age_months": lambda v: v["car_age_months"].to_numpy(),
        "car_miles": lambda v: v["car_miles"].to_numpy(),
        "age_at_visit_days": lambda v: _age_days(v).to_numpy(),
        "miles_per_year": lambda v: (
            (v["car_miles"] / (_age_days(v).clip(lower=min_age_days) / DAYS_PER_YEAR))
            .round(1)
            .to_numpy()
        ),
        "purchase_year": lambda v: v["date_bought_car"].dt.year.astype("int64").to_numpy(),
        "purchase_month": lambda v: v["date_bought_car"].dt.month.astype("int64").to_numpy(),
        "visit_month": lambda v: v["date_of_visit"].dt.month.astype("int64").to_numpy(),
    }


def raw_fields_for(features: Iterable[str]) -> tuple[str, ...]:
    """The raw-file fields the named features need, in the raw file's order of first use.

    Raises:
        KeyError: naming a feature this module does not derive.
    """
    fields: list[str] = []
    for feature in features:
        if feature not in RAW_FIELDS:
            raise KeyError(
                f"'{feature}' is not a maintenance feature; known features: {list(RAW_FIELDS)}."
            )
        fields.extend(f for f in RAW_FIELDS[feature] if f not in fields)
    return tuple(fields)


def derive_feature_subset(
    visits: pd.DataFrame, features: Iterable[str], min_age_days: int = 30
) -> pd.DataFrame:
    """Only the named features of typed visits (one column each, in the order given)."""
    derivations = _derivations(min_age_days)
    names = list(features)
    raw_fields_for(names)  # unknown names fail with the list of known ones
    return pd.DataFrame({name: derivations[name](visits) for name in names})


def derive_features(visits: pd.DataFrame, min_age_days: int = 30) -> pd.DataFrame:
    """Derive model features from typed visits (``record_id`` kept, no gender).

    Args:
        visits: typed visits with ``date_bought_car``, ``date_of_visit``, ``car_miles``...
        min_age_days: floor on the car's age when dividing miles by years, so a visit a
            few days after purchase does not give an absurd mileage rate.

    Returns:
        ``record_id``, the :data:`FEATURE_COLUMNS` and, when present, the target.
    """
    features = derive_feature_subset(visits, FEATURE_COLUMNS, min_age_days)
    features.insert(0, ID_COLUMN, visits[ID_COLUMN].to_numpy())
    if TARGET in visits:
        features[TARGET] = visits[TARGET].astype(int).to_numpy()
    return features
