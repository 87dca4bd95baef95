"""Seeded simulator of battery telemetry in the shape the lab received it.

The lab's raw file had 12-hour entries until the end of 2014, daily entries from 2015,
duplicate timestamps and missing entries; the lab cleaned it into the public daily file
``daily-battery-time-series.csv`` (one battery). This module produces:

* **raw telemetry from the real series** (:func:`raw_from_daily`): every day before the
  switch date is split into two 12-hour entries whose sums give the day back (trips,
  trip duration and cycles split by the same random share; the second entry's age is
  half a day more, so the minimum gives the day's age back), then duplicates and gaps are
  injected (:func:`inject_duplicates_and_gaps`). Cleaning this file must give the real
  series back; that is the check the ``battery_data`` tests make.
* **a fleet of batteries** (:func:`simulate_fleet_daily`) calibrated on the real series
  (:func:`calibrate`), then put in the same raw shape. The real series is nearly
  stationary noise (about 0.142 cycles/day, cycles exactly proportional to trip
  duration); the fleet is given the structure real driving has:

  - **drivers**: each battery's driver has a usage scale (log-normal around the real
    mean duration), a weekly profile (commuter: more on weekdays; leisure: more at
    weekends) and a trend (usage drifting up or down over the years);
  - **season**: more driving in summer (annual cosine), and cold winters raise the
    cycles spent per minute of driving;
  - **ageing**: cycles per minute rise with the share of rated cycles already used, so a
    battery wears faster as it nears replacement;
  - **life**: each battery has its own start date and rated cycles and stops a little
    after its lifetime cycles reach the rated cycles (its replacement point);
  - **noise**: day-to-day noise in duration with the real series' coefficient of
    variation, and a small noise on cycles per minute.

Everything is driven by one ``numpy.random.Generator`` so a seed gives the same files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlops_lab.battery.schema import (
    AGE,
    BATTERY_ID,
    CYCLES,
    DATE,
    DURATION,
    LIFETIME,
    RATED,
    TELEMETRY_COLUMNS,
    TRIPS,
)

DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Calibration:
    """What the fleet borrows from the real series."""

    mean_duration: float
    duration_cv: float
    mean_trips: float
    cycles_per_minute: float
    rated_cycles: float

    def as_dict(self) -> dict[str, float]:
        """Plain dict, e.g. for a report."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class FleetSettings:
    """Structure of the simulated fleet (see the module docstring)."""

    n_batteries: int = 20
    first_start: str = "2013-01-01"
    last_start: str = "2015-06-30"
    rated_cycles_choices: tuple[float, ...] = (150.0, 200.0)
    usage_scale_sigma: float = 0.25
    commuter_share: float = 0.6
    weekday_weekend: tuple[float, float] = (1.15, 0.65)
    leisure_weekday_weekend: tuple[float, float] = (0.9, 1.3)
    summer_amplitude: float = 0.15
    cold_amplitude: float = 0.10
    trend_sigma_per_year: float = 0.15
    ageing_gain: float = 0.5
    cycles_noise: float = 0.03
    replacement_overshoot: tuple[float, float] = (1.0, 1.08)


def calibrate(real: pd.DataFrame) -> Calibration:
    """Summarise the real daily series into the figures the fleet is calibrated on."""
    duration = real[DURATION].astype(float)
    return Calibration(
        mean_duration=float(duration.mean()),
        duration_cv=float(duration.std() / duration.mean()),
        mean_trips=float(real[TRIPS].mean()),
        cycles_per_minute=float((real[CYCLES] / duration).median()),
        rated_cycles=float(real[RATED].median()),
    )


def simulate_fleet_daily(
    calibration: Calibration,
    settings: FleetSettings,
    rng: np.random.Generator,
    first_id: int = 1,
) -> pd.DataFrame:
    """Simulate the clean daily telemetry of ``settings.n_batteries`` batteries.

    Returns:
        One row per battery and day, columns :data:`TELEMETRY_COLUMNS`, IDs from
        ``first_id``.
    """
    first = pd.Timestamp(settings.first_start)
    span = (pd.Timestamp(settings.last_start) - first).days
    frames = [
        _simulate_battery(
            battery_id=first_id + i,
            start=first + pd.Timedelta(days=int(rng.integers(0, span + 1))),
            calibration=calibration,
            settings=settings,
            rng=rng,
        )
        for i in range(settings.n_batteries)
    ]
    return pd.concat(frames, ignore_index=True)


def _simulate_battery(
    battery_id: int,
    start: pd.Timestamp,
    calibration: Calibration,
    settings: FleetSettings,
    rng: np.random.Generator,
) -> pd.DataFrame:
    rated = float(rng.choice(settings.rated_cycles_choices))
    end_at = rated * rng.uniform(*settings.replacement_overshoot)
    scale = float(np.exp(rng.normal(0.0, settings.usage_scale_sigma)))
    weekday, weekend = (
        settings.weekday_weekend
        if rng.random() < settings.commuter_share
        else settings.leisure_weekday_weekend
    )
    trend = rng.normal(0.0, settings.trend_sigma_per_year)
    # Longest plausible life: usage could fall well below the calibrated mean.
    horizon = int(4 * end_at / (calibration.cycles_per_minute * calibration.mean_duration)) + 30
    dates = pd.date_range(start, periods=horizon, freq="D")
    years = np.arange(horizon) / DAYS_PER_YEAR
    doy = dates.dayofyear.to_numpy()
    weekly = np.where(dates.dayofweek.to_numpy() >= 5, weekend, weekday)
    summer = 1.0 + settings.summer_amplitude * np.cos(2 * np.pi * (doy - 196) / DAYS_PER_YEAR)
    cold = 1.0 + settings.cold_amplitude * np.cos(2 * np.pi * (doy - 15) / DAYS_PER_YEAR)
    noise = np.clip(rng.normal(1.0, calibration.duration_cv, horizon), 0.2, None)
    duration = calibration.mean_duration * scale * weekly * summer * np.exp(trend * years) * noise
    trips = np.maximum(
        1, rng.poisson(calibration.mean_trips * duration / calibration.mean_duration)
    )
    rate_noise = np.clip(rng.normal(1.0, settings.cycles_noise, horizon), 0.5, None)
    base_rate = calibration.cycles_per_minute * cold * rate_noise
    cycles = np.empty(horizon)
    lifetime = 0.0
    last = horizon
    for day in range(horizon):  # ageing depends on the cycles already used
        cycles[day] = base_rate[day] * (1 + settings.ageing_gain * lifetime / rated) * duration[day]
        lifetime += cycles[day]
        if lifetime >= end_at:
            last = day + 1
            break
    frame = pd.DataFrame(
        {
            DATE: dates[:last],
            BATTERY_ID: battery_id,
            AGE: np.arange(last, dtype=float),
            TRIPS: trips[:last].astype(float),
            DURATION: duration[:last],
            CYCLES: cycles[:last],
            LIFETIME: np.cumsum(cycles[:last]),
            RATED: rated,
        }
    )
    return frame[TELEMETRY_COLUMNS]


def raw_from_daily(
    daily: pd.DataFrame, half_days_until: str, rng: np.random.Generator
) -> pd.DataFrame:
    """Turn clean daily telemetry into raw entries: 12-hour entries up to ``half_days_until``.

    Each day up to and including ``half_days_until`` becomes two entries (00:00, 12:00):
    trips are split at random (integers), trip duration and cycles by one random share,
    so sums give the day back and cycles stay proportional to duration. The second
    entry's age is half a day more (the minimum gives the day's age back); rated cycles
    are repeated. ``Lifetime_Cycles_Used`` is the running sum over the entries.
    """
    daily = daily.sort_values([BATTERY_ID, DATE]).reset_index(drop=True)
    split = (daily[DATE] <= pd.Timestamp(half_days_until)).to_numpy()
    first = daily.copy()
    second = daily.loc[split].copy()
    share = rng.uniform(0.3, 0.7, int(split.sum()))
    trips = daily.loc[split, TRIPS].to_numpy()
    trips_first = np.floor(trips * share + rng.random(len(share)))
    trips_first = np.clip(trips_first, 0, trips)
    first.loc[split, TRIPS] = trips_first
    second[TRIPS] = trips - trips_first
    for column in (DURATION, CYCLES):
        values = daily.loc[split, column].to_numpy()
        first.loc[split, column] = values * share
        second[column] = values - values * share
    second[DATE] = second[DATE] + pd.Timedelta(hours=12)
    second[AGE] = second[AGE] + 0.5
    raw = pd.concat([first, second]).sort_values([BATTERY_ID, DATE], kind="stable")
    raw[LIFETIME] = raw.groupby(BATTERY_ID)[CYCLES].cumsum()
    return raw[TELEMETRY_COLUMNS].reset_index(drop=True)


def inject_duplicates_and_gaps(
    raw: pd.DataFrame,
    duplicate_fraction: float,
    gap_fraction: float,
    max_gap_days: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Drop whole days (gaps of 1..``max_gap_days`` days) and repeat some entries.

    Gaps remove every entry of the chosen days (about ``gap_fraction`` of each battery's
    days, never its first or last day) so they show up as missing days; duplicates are
    exact repeats of about ``duplicate_fraction`` of the remaining entries (the same
    timestamp sent twice), placed next to the original.
    """
    day = raw[DATE].dt.normalize()
    drop = np.zeros(len(raw), dtype=bool)
    # Row positions per battery: marking only a battery's own rows keeps this linear in
    # the fleet size (a mask over all rows per battery made it quadratic).
    for _, positions in sorted(raw.groupby(BATTERY_ID).indices.items()):
        battery_days = day.iloc[positions]
        days = battery_days.drop_duplicates().sort_values().to_numpy()
        n_gaps = round(gap_fraction * len(days) / ((1 + max_gap_days) / 2))
        if len(days) < 3 or n_gaps == 0:
            continue
        starts = rng.choice(np.arange(1, len(days) - 1), size=n_gaps, replace=False)
        lengths = rng.integers(1, max_gap_days + 1, size=n_gaps)
        removed = {
            days[i]
            for s, n in zip(starts, lengths, strict=True)
            for i in range(s, min(s + n, len(days) - 1))
        }
        drop[positions] = battery_days.isin(removed).to_numpy()
    kept = raw.loc[~drop]
    repeat = np.where(rng.random(len(kept)) < duplicate_fraction, 2, 1)
    return kept.loc[kept.index.repeat(repeat)].reset_index(drop=True)
