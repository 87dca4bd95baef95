"""Nodes of the ``maintenance_data`` pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
from sklearn.model_selection import train_test_split

from mlops_lab.maintenance.features import (
    ID_COLUMN,
    SENSITIVE_COLUMNS,
    TARGET,
    derive_features,
)
from mlops_lab.maintenance.schemas import RAW_MAINTENANCE_SCHEMA, TARGET_RAW
from mlops_lab.validation import validate_frame

logger = logging.getLogger(__name__)

IDENTIFYING_COLUMNS = ("first-name", "last-name")


def parse_maintenance_visits(raw: pd.DataFrame) -> pd.DataFrame:
    """Validate the raw file, parse types and dates, drop the owners' names.

    Columns are renamed to snake_case; ``record_id`` is the row number in the raw file, so
    any derived row can be traced back. The target becomes a bool.

    Raises:
        InputValidationError: naming the column, rows and expectation (the project's
            hook adds the dataset and its file).
    """
    validated = validate_frame(raw, RAW_MAINTENANCE_SCHEMA, "car maintenance visits")
    dropped = [column for column in IDENTIFYING_COLUMNS if column in validated]
    visits = (
        validated.drop(columns=dropped)
        .assign(**{TARGET_RAW: validated[TARGET_RAW].astype(bool)})
        .rename(columns=lambda name: name.replace("-", "_"))
        .rename(
            columns={
                "car_age_in_years": "car_age_years",
                "car_age_in_months": "car_age_months",
                TARGET_RAW.replace("-", "_"): TARGET,
            }
        )
        .reset_index(drop=True)
    )
    visits.insert(0, ID_COLUMN, range(len(visits)))
    logger.info("Parsed %d visits; dropped identifying columns %s", len(visits), dropped)
    return visits


def derive_maintenance_features(
    visits: pd.DataFrame, min_age_days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split visits into model features (with target) and the sensitive attribute.

    Returns:
        ``(features, sensitive)``: ``record_id`` + features + target, never gender; and
        ``record_id`` + ``gender`` for fairness assessment.
    """
    features = derive_features(visits, min_age_days=min_age_days)
    sensitive = visits[[ID_COLUMN, *SENSITIVE_COLUMNS]].reset_index(drop=True)
    logger.info("Derived %d feature columns for %d visits", features.shape[1] - 2, len(features))
    return features, sensitive


def split_maintenance_data(
    features: pd.DataFrame, sensitive: pd.DataFrame, test_size: float, seed: int
) -> dict[str, pd.DataFrame]:
    """Seeded train/test split stratified on target and gender together.

    Stratifying on both keeps the rare positive class (about 5 %) and each gender in the
    same proportions in train and test, so the later fairness assessment compares groups
    of the expected size. Sensitive rows are aligned with feature rows by ``record_id``.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"maintenance_data.test_size must be in (0, 1), got {test_size}.")
    joined = features.merge(sensitive, on=ID_COLUMN, how="inner", validate="one_to_one")
    if len(joined) != len(features):
        raise ValueError(
            f"{len(features) - len(joined)} feature rows have no sensitive-attribute row."
        )
    strata = (
        joined[TARGET].astype(str)
        + "|"
        + joined[list(SENSITIVE_COLUMNS)].astype(str).agg("|".join, axis=1)
    )
    train_ids, test_ids = train_test_split(
        joined[ID_COLUMN], test_size=test_size, stratify=strata, random_state=seed
    )
    train_ids, test_ids = sorted(train_ids), sorted(test_ids)
    by_id_features = features.set_index(ID_COLUMN)
    by_id_sensitive = sensitive.set_index(ID_COLUMN)
    splits = {
        "train": by_id_features.loc[train_ids].reset_index(),
        "test": by_id_features.loc[test_ids].reset_index(),
        "sensitive_train": by_id_sensitive.loc[train_ids].reset_index(),
        "sensitive_test": by_id_sensitive.loc[test_ids].reset_index(),
    }
    logger.info("Split %d visits: %d train, %d test", len(joined), len(train_ids), len(test_ids))
    return splits


def report_maintenance_data(
    raw: pd.DataFrame,
    features: pd.DataFrame,
    train: pd.DataFrame,
    test: pd.DataFrame,
    sensitive_train: pd.DataFrame,
    sensitive_test: pd.DataFrame,
) -> dict[str, Any]:
    """Rows in and out, feature columns, and target/gender balance per split."""
    report: dict[str, Any] = {
        "rows_raw": len(raw),
        "rows_features": len(features),
        "identifying_columns_dropped": [c for c in IDENTIFYING_COLUMNS if c in raw],
        "feature_columns": [c for c in features.columns if c not in (ID_COLUMN, TARGET)],
    }
    for name, frame, sensitive in (
        ("train", train, sensitive_train),
        ("test", test, sensitive_test),
    ):
        report[f"rows_{name}"] = len(frame)
        report[f"positives_{name}"] = int(frame[TARGET].sum())
        report[f"positive_share_{name}"] = round(float(frame[TARGET].mean()), 4)
        report[f"female_share_{name}"] = round(float((sensitive["gender"] == "Female").mean()), 4)
    logger.info("maintenance_data report: %s", report)
    return report
