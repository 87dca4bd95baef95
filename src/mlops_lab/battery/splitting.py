"""Hold-out split and rolling-origin cross-validation of daily series, per battery.

Fold ``k`` of ``n_folds`` (0 = oldest) has its origin ``horizon + (n_folds - 1 - k) * step``
days before a battery's last day: it trains on every day up to the origin and validates
on the ``horizon`` days after it. The last fold validates on a battery's last ``horizon``
days.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mlops_lab.battery.schema import BATTERY_ID, DATE


class SeriesTooShortError(ValueError):
    """A battery has too little history for the requested validation scheme."""


@dataclass(frozen=True)
class Fold:
    """Training and validation rows (index labels of the series) of one fold."""

    number: int
    train_index: pd.Index
    valid_index: pd.Index


def minimum_history(n_folds: int, step: int, horizon: int, min_train_days: int) -> int:
    """Days of history a battery needs for ``n_folds`` rolling-origin folds."""
    return min_train_days + horizon + (n_folds - 1) * step


def split_last_days(series: pd.DataFrame, days: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split each battery's last ``days`` days off: (history, held-out days)."""
    last_day = series.groupby(BATTERY_ID)[DATE].transform("max")
    held_out = series[DATE] > last_day - pd.Timedelta(days=days)
    return series.loc[~held_out].reset_index(drop=True), series.loc[held_out].reset_index(drop=True)


def rolling_origin_folds(
    series: pd.DataFrame, n_folds: int, step: int, horizon: int, min_train_days: int
) -> list[Fold]:
    """Rolling-origin folds over every battery of ``series`` (one row per battery and day).

    Raises:
        SeriesTooShortError: A battery has fewer days than the folds need; the message
            names the battery, its length and the minimum.
    """
    if n_folds < 1 or step < 1 or horizon < 1:
        raise ValueError("n_folds, step and horizon must be at least 1.")
    needed = minimum_history(n_folds, step, horizon, min_train_days)
    lengths = series.groupby(BATTERY_ID).size()
    short = lengths[lengths < needed]
    if not short.empty:
        battery_id, length = short.index[0], int(short.iloc[0])
        raise SeriesTooShortError(
            f"Battery {battery_id} has {length} days of history; rolling-origin validation with "
            f"{n_folds} folds, step {step} and horizon {horizon} days needs at least {needed} days "
            f"({min_train_days} training days + {horizon} + ({n_folds} - 1) x {step}). Use fewer "
            "folds, a smaller step or fewer minimum training days, or leave this battery out."
        )
    last_day = series.groupby(BATTERY_ID)[DATE].transform("max")
    days_before_end = (last_day - series[DATE]).dt.days
    folds = []
    for number in range(n_folds):
        origin = horizon + (n_folds - 1 - number) * step  # days before each battery's last day
        train = days_before_end >= origin
        valid = (days_before_end < origin) & (days_before_end >= origin - horizon)
        folds.append(Fold(number, series.index[train], series.index[valid]))
    return folds
