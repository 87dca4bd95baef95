"""Nodes of ``battery_data``: validate, de-duplicate, regularise, fill, report."""

from __future__ import annotations

import logging

import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery import cleaning
from mlops_lab.battery.plots import battery_panels, finish_panels
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, INTERPOLATED, TELEMETRY_SCHEMA
from mlops_lab.validation import InputValidationError, validate_frame

logger = logging.getLogger(__name__)


REAL_SOURCE, FLEET_SOURCE = "battery_raw_telemetry_real", "battery_raw_telemetry_fleet"
"""The catalog datasets read (``kedro catalog describe-datasets`` shows their files)."""


def combine_raw_telemetry(real_raw: pd.DataFrame, fleet_raw: pd.DataFrame) -> pd.DataFrame:
    """Validate both raw telemetry files and stack them into one table.

    The real-derived battery keeps its ID (0) and the fleet follows it, so one table holds
    every battery. Rows keep their file order.

    Args:
        real_raw: Raw telemetry derived from the real series.
        fleet_raw: Raw telemetry of the simulated fleet.

    Raises:
        InputValidationError: A file does not match the schema, or both files contain the
            same battery ID; the message names the catalog dataset.
    """
    real = validate_frame(real_raw, TELEMETRY_SCHEMA, REAL_SOURCE)
    fleet = validate_frame(fleet_raw, TELEMETRY_SCHEMA, FLEET_SOURCE)
    shared = sorted(set(real[BATTERY_ID]) & set(fleet[BATTERY_ID]))
    if shared:
        row = int(fleet.index[fleet[BATTERY_ID] == shared[0]][0])
        raise InputValidationError(
            f"{FLEET_SOURCE}: column '{BATTERY_ID}', row {row}: battery ID {shared[0]} is "
            f"also in {REAL_SOURCE}; expected each battery in one file only."
        )
    combined = pd.concat([real, fleet], ignore_index=True)
    logger.info(
        "Raw telemetry: %d + %d entries, %d batteries",
        len(real),
        len(fleet),
        combined[BATTERY_ID].nunique(),
    )
    return combined


def drop_duplicate_timestamps(raw: pd.DataFrame) -> pd.DataFrame:
    """Keep the first entry of every (battery, timestamp)."""
    deduplicated = cleaning.drop_duplicate_timestamps(raw)
    logger.info("Dropped %d duplicate timestamps", len(raw) - len(deduplicated))
    return deduplicated


def regularise_to_daily(entries: pd.DataFrame) -> pd.DataFrame:
    """One row per battery and day (the lab's aggregation rules); missing days left empty."""
    daily = cleaning.regularise_to_daily(entries)
    logger.info("Regularised %d entries to %d battery-days", len(entries), len(daily))
    return daily


def fill_missing_days(daily: pd.DataFrame) -> pd.DataFrame:
    """Fill missing days by time interpolation: the registered ``daily_battery_time_series``."""
    filled = cleaning.fill_missing_days(daily)
    logger.info("Filled %d missing days by time interpolation", int(filled[INTERPOLATED].sum()))
    return filled


def report_preparation(
    raw: pd.DataFrame, deduplicated: pd.DataFrame, series: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows in and out of each step, per battery and in total.

    Returns:
        A table with one row per battery (raw entries, duplicates removed, entries kept,
        days, days filled, first and last day) and a dict of the totals.
    """
    per_battery = pd.DataFrame(
        {
            "raw_entries": raw.groupby(BATTERY_ID).size(),
            "entries_after_deduplication": deduplicated.groupby(BATTERY_ID).size(),
            "days": series.groupby(BATTERY_ID).size(),
            "days_filled": series.groupby(BATTERY_ID)[INTERPOLATED].sum().astype(int),
            "first_day": series.groupby(BATTERY_ID)[DATE].min().dt.date.astype(str),
            "last_day": series.groupby(BATTERY_ID)[DATE].max().dt.date.astype(str),
        }
    )
    per_battery.insert(
        1,
        "duplicates_removed",
        per_battery["raw_entries"] - per_battery["entries_after_deduplication"],
    )
    totals = {
        "batteries": len(per_battery),
        **{
            column: int(per_battery[column].sum())
            for column in (
                "raw_entries",
                "duplicates_removed",
                "entries_after_deduplication",
                "days",
                "days_filled",
            )
        },
    }
    logger.info("Battery preparation: %s", totals)
    return per_battery.reset_index(), totals


def plot_daily_cycles(series: pd.DataFrame, columns: int) -> Figure:
    """Small multiples of ``Daily_Cycles_Used`` per battery, filled days marked."""
    figure, panels = battery_panels(series[BATTERY_ID].unique(), columns, height=2.2)
    for battery_id, ax in panels:
        group = series[series[BATTERY_ID] == battery_id]
        filled = group[group[INTERPOLATED]]
        ax.plot(group[DATE], group[CYCLES], lw=0.4, color="tab:blue", label=CYCLES)
        ax.plot(filled[DATE], filled[CYCLES], "o", ms=2, color="tab:red", label="filled")
    return finish_panels(figure, f"{CYCLES} per battery (red: days filled by interpolation)")
