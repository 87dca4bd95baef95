"""Features of a maintenance visit, derived from the typed visit table.

Used by ``maintenance_data`` and by anything that scores new visits, so both compute the
features the same way. The sensitive attribute never enters :data:`FEATURE_COLUMNS`.
"""

from __future__ import annotations

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


def derive_features(visits: pd.DataFrame, min_age_days: int = 30) -> pd.DataFrame:
    """Derive model features from typed visits (``record_id`` kept, no gender).

    Args:
        visits: typed visits with ``date_bought_car``, ``date_of_visit``, ``car_miles``...
        min_age_days: floor on the car's age when dividing miles by years, so a visit a
            few days after purchase does not give an absurd mileage rate.

    Returns:
        ``record_id``, the :data:`FEATURE_COLUMNS` and, when present, the target.
    """
    age_days = (visits["date_of_visit"] - visits["date_bought_car"]).dt.days
    features = pd.DataFrame(
        {
            ID_COLUMN: visits[ID_COLUMN].to_numpy(),
            "car_make": visits["car_make"].astype(str).to_numpy(),
            "engine_type": visits["engine_type"].astype(str).to_numpy(),
            "car_age_years": visits["car_age_years"].to_numpy(),
            "car_age_months": visits["car_age_months"].to_numpy(),
            "car_miles": visits["car_miles"].to_numpy(),
            "age_at_visit_days": age_days.to_numpy(),
            "miles_per_year": (
                visits["car_miles"] / (age_days.clip(lower=min_age_days) / DAYS_PER_YEAR)
            )
            .round(1)
            .to_numpy(),
            "purchase_year": visits["date_bought_car"].dt.year.astype("int64").to_numpy(),
            "purchase_month": visits["date_bought_car"].dt.month.astype("int64").to_numpy(),
            "visit_month": visits["date_of_visit"].dt.month.astype("int64").to_numpy(),
        }
    )
    if TARGET in visits:
        features[TARGET] = visits[TARGET].astype(int).to_numpy()
    return features
