"""The lab's preparation rules: de-duplicate, regularise to one row per day, fill gaps.

Aggregation of the entries of one day (the lab's rules): minimum of
``Battery_Age_Days`` and ``Battery_Rated_Cycles``; sums of ``Number_Of_Trips``,
``Daily_Trip_Duration`` and ``Daily_Cycles_Used``; ``Lifetime_Cycles_Used`` is recomputed
as the running sum of the daily cycles once the gaps are filled.
"""

from __future__ import annotations

import pandas as pd

from mlops_lab.battery.schema import (
    AGE,
    BATTERY_ID,
    CYCLES,
    DAILY_COLUMNS,
    DATE,
    DURATION,
    INTERPOLATED,
    LIFETIME,
    RATED,
    TRIPS,
)

DAILY_AGGREGATION = {AGE: "min", RATED: "min", TRIPS: "sum", DURATION: "sum", CYCLES: "sum"}
"""How the entries of one day are combined."""


def drop_duplicate_timestamps(raw: pd.DataFrame) -> pd.DataFrame:
    """Keep the first entry of every (battery, timestamp); order by battery and time."""
    deduplicated = raw.drop_duplicates(subset=[BATTERY_ID, DATE], keep="first")
    return deduplicated.sort_values([BATTERY_ID, DATE], kind="stable").reset_index(drop=True)


def regularise_to_daily(entries: pd.DataFrame) -> pd.DataFrame:
    """Aggregate each battery's entries to one row per calendar day.

    Days with no entry between a battery's first and last day are kept as rows of
    missing values, to be filled by :func:`fill_missing_days`.
    """
    frames = []
    for battery_id, group in entries.groupby(BATTERY_ID, sort=True):
        daily = (
            group.assign(**{DATE: group[DATE].dt.normalize()}).groupby(DATE).agg(DAILY_AGGREGATION)
        )
        full_range = pd.date_range(daily.index.min(), daily.index.max(), freq="D", name=DATE)
        daily = daily.reindex(full_range).reset_index().assign(**{BATTERY_ID: battery_id})
        frames.append(daily)
    return pd.concat(frames, ignore_index=True)[[DATE, BATTERY_ID, *DAILY_AGGREGATION]]


def fill_missing_days(daily: pd.DataFrame) -> pd.DataFrame:
    """Fill missing days by time interpolation, flag them, recompute lifetime cycles.

    ``Number_Of_Trips`` is rounded to whole trips after interpolation; everything else
    keeps the interpolated value. ``Is_Interpolated`` marks the filled days.
    """
    frames = []
    numeric = list(DAILY_AGGREGATION)
    for _, group in daily.groupby(BATTERY_ID, sort=True):
        indexed = group.set_index(DATE)
        filled = indexed[numeric].interpolate(method="time", limit_direction="both")
        filled[TRIPS] = filled[TRIPS].round()
        filled[INTERPOLATED] = indexed[CYCLES].isna()
        filled[BATTERY_ID] = indexed[BATTERY_ID]
        filled[LIFETIME] = filled[CYCLES].cumsum()
        frames.append(filled.reset_index())
    result = pd.concat(frames, ignore_index=True)
    result[BATTERY_ID] = result[BATTERY_ID].astype(int)
    return result[DAILY_COLUMNS]
