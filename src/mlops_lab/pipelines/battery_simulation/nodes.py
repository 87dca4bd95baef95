"""Nodes of ``battery_simulation``: validate the real series, write raw telemetry."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from mlops_lab.battery.schema import BATTERY_ID, TELEMETRY_SCHEMA
from mlops_lab.simulators.battery_telemetry import (
    FleetSettings,
    calibrate,
    inject_duplicates_and_gaps,
    raw_from_daily,
    simulate_fleet_daily,
)
from mlops_lab.validation import InputValidationError, validate_frame

logger = logging.getLogger(__name__)

# Independent random streams, so changing the fleet does not change the real-derived file.
_REAL_STREAM, _FLEET_STREAM = 0, 1


REAL_SOURCE = "battery_real_daily"
"""The catalog dataset of the lab's file (``kedro catalog describe-datasets`` shows its file)."""


def validate_real_series(real: pd.DataFrame) -> pd.DataFrame:
    """Check the lab's cleaned daily file at the boundary and return it typed.

    Raises:
        InputValidationError: A column is missing or has bad values, or the dates of a
            battery are not one per day; the message names the catalog dataset.
    """
    source = REAL_SOURCE
    typed = validate_frame(real, TELEMETRY_SCHEMA, source)
    for battery_id, group in typed.groupby(BATTERY_ID):
        steps = group["Date"].diff().dropna()
        bad = steps[steps != pd.Timedelta(days=1)]
        if not bad.empty:
            row = int(bad.index[0])
            raise InputValidationError(
                f"{source}: column 'Date', row {row}: expected one row per day for battery "
                f"{battery_id}, found a step of {bad.iloc[0]} (value {group.loc[row, 'Date']})."
            )
    logger.info(
        "Real series %s: %d days, %d battery(ies)", source, len(typed), typed[BATTERY_ID].nunique()
    )
    return typed.reset_index(drop=True)


def _to_raw(
    daily: pd.DataFrame, raw_shape: dict[str, Any], rng: np.random.Generator
) -> pd.DataFrame:
    raw = raw_from_daily(daily, raw_shape["half_days_until"], rng)
    return inject_duplicates_and_gaps(
        raw,
        duplicate_fraction=raw_shape["duplicate_fraction"],
        gap_fraction=raw_shape["gap_fraction"],
        max_gap_days=raw_shape["max_gap_days"],
        rng=rng,
    )


def simulate_raw_from_real(
    real: pd.DataFrame, seed: int, raw_shape: dict[str, Any]
) -> pd.DataFrame:
    """Raw telemetry derived from the real daily series (12-hour entries, duplicates, gaps).

    Args:
        real: The validated real daily series.
        seed: Random seed.
        raw_shape: ``half_days_until`` (last day split into 12-hour entries),
            ``duplicate_fraction``, ``gap_fraction``, ``max_gap_days``.
    """
    rng = np.random.default_rng([seed, _REAL_STREAM])
    raw = _to_raw(real, raw_shape, rng)
    logger.info("Raw telemetry from the real series: %d days -> %d entries", len(real), len(raw))
    return raw


def simulate_raw_fleet(
    real: pd.DataFrame, seed: int, raw_shape: dict[str, Any], fleet: dict[str, Any]
) -> pd.DataFrame:
    """Raw telemetry of a simulated fleet calibrated on the real series.

    Args:
        real: The validated real daily series (calibration; fleet IDs follow its IDs).
        seed: Random seed.
        raw_shape: as :func:`simulate_raw_from_real`.
        fleet: Fields of :class:`~mlops_lab.simulators.battery_telemetry.FleetSettings`.
    """
    rng = np.random.default_rng([seed, _FLEET_STREAM])
    calibration = calibrate(real)
    settings = FleetSettings(
        **{key: tuple(value) if isinstance(value, list) else value for key, value in fleet.items()}
    )
    first_id = int(real[BATTERY_ID].max()) + 1
    daily = simulate_fleet_daily(calibration, settings, rng, first_id=first_id)
    raw = _to_raw(daily, raw_shape, rng)
    logger.info(
        "Simulated fleet: %d batteries, %d days -> %d raw entries (calibration %s)",
        settings.n_batteries,
        len(daily),
        len(raw),
        calibration.as_dict(),
    )
    return raw
