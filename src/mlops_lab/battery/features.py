"""Features of the regression forecasters: lags, rolling statistics, calendar, covariates.

Every target-derived feature (lags, rolling means and deviations, the mean of the same
weekday over recent weeks, the cycles-per-minute rate) looks at least ``min(lags)`` days
back, so a model can forecast that many days ahead from history alone (longer horizons
are forecast block by block, feeding forecasts back as history). The known covariates
(``Battery_Age_Days``, ``Daily_Trip_Duration``) are used on the forecast day itself. With
trip duration known, the feature ``expected_cycles`` (recent cycles per minute x today's
minutes) carries the physics of the fleet: cycles are driving time times a wear rate that
drifts with age and season.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlops_lab.battery.schema import AGE, BATTERY_ID, CYCLES, DATE, DURATION

KNOWN_COVARIATES = (AGE, DURATION)


@dataclass(frozen=True)
class FeatureSpec:
    """Which features a regression forecaster builds."""

    lags: tuple[int, ...] = (30, 35, 42)
    windows: tuple[int, ...] = (7, 28)
    same_weekday_weeks: int = 4
    rate_window: int = 28
    covariates: tuple[str, ...] = KNOWN_COVARIATES
    calendar: bool = True

    def __post_init__(self) -> None:
        unknown = set(self.covariates) - set(KNOWN_COVARIATES)
        if unknown:
            raise ValueError(
                f"Unknown covariates {sorted(unknown)}; known: {list(KNOWN_COVARIATES)}."
            )
        if not self.lags or min(self.lags) < 1:
            raise ValueError(f"Lags must be positive days, got {self.lags}.")

    @property
    def min_lag(self) -> int:
        """How far ahead the features allow a forecast in one step."""
        return min(self.lags)

    @property
    def same_weekday_lags(self) -> tuple[int, ...]:
        """The first ``same_weekday_weeks`` whole weeks back at or beyond ``min_lag``."""
        first = -(-self.min_lag // 7) * 7
        return tuple(first + 7 * week for week in range(self.same_weekday_weeks))

    @property
    def memory(self) -> int:
        """Days of history the features need before the first forecast day."""
        return max(
            *self.lags,
            self.min_lag + max(self.windows, default=0),
            self.min_lag + self.rate_window,
            *self.same_weekday_lags,
        )


def make_features(frame: pd.DataFrame, spec: FeatureSpec) -> pd.DataFrame:
    """Feature table, one row per row of ``frame`` (same index).

    Args:
        frame: One row per battery and consecutive day, sorted by battery and date, with
            ``Date``, ``Battery_ID``, ``Daily_Cycles_Used`` (missing on days to forecast)
            and the covariates of ``spec``.
    """
    by_battery = frame.groupby(BATTERY_ID, sort=False)
    target = by_battery[CYCLES]
    features: dict[str, pd.Series] = {f"lag_{lag}": target.shift(lag) for lag in spec.lags}
    shifted = target.shift(spec.min_lag)
    grouped = shifted.groupby(frame[BATTERY_ID], sort=False)
    for window in spec.windows:
        features[f"mean_{window}"] = grouped.transform(lambda s, w=window: s.rolling(w).mean())
        features[f"std_{window}"] = grouped.transform(lambda s, w=window: s.rolling(w).std())
    if spec.same_weekday_weeks:
        same_weekday = [target.shift(lag) for lag in spec.same_weekday_lags]
        features["same_weekday_mean"] = pd.concat(same_weekday, axis=1).mean(axis=1, skipna=False)
    for covariate in spec.covariates:
        features[covariate] = frame[covariate].astype(float)
    if DURATION in spec.covariates:
        rate = (
            (frame[CYCLES] / frame[DURATION])
            .groupby(frame[BATTERY_ID], sort=False)
            .shift(spec.min_lag)
        )
        features["rate"] = rate.groupby(frame[BATTERY_ID], sort=False).transform(
            lambda s: s.rolling(spec.rate_window).mean()
        )
        features["expected_cycles"] = features["rate"] * frame[DURATION]
    if spec.calendar:
        day_of_week = frame[DATE].dt.dayofweek
        for day in range(7):
            features[f"dow_{day}"] = (day_of_week == day).astype(float)
        angle = 2 * np.pi * frame[DATE].dt.dayofyear / 365.25
        features["doy_sin"] = np.sin(angle)
        features["doy_cos"] = np.cos(angle)
    return pd.DataFrame(features, index=frame.index)
