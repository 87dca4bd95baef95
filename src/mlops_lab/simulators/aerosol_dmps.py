"""Seeded simulator of SMEAR II DMPS particle size distributions in SmartSMEAR export format.

The real 10-minute DMPS series that go with the Hyytiälä event labels are not public, so
this module generates, for every labelled day, a plausible stand-in:

- **Background**: an Aitken mode (~40-60 nm) and an accumulation mode (~150-250 nm), with
  a seasonal cycle (more particles in summer), a weak diurnal cycle, day-to-day air-mass
  variability, slow drifts within the day and occasional wet-scavenging dips. Event days
  tend to have less pre-existing aerosol (a low condensation sink favours nucleation),
  with wide overlap between classes.
- **Events** ("bananas"): particles formed near 1.5-2 nm over a formation window in the
  morning grow at a few nm/h and are lost by coagulation. Class Ia is strong and clear,
  Ib weaker and noisier, II fragmented (interruptions, growth that stalls, intermittent
  intensity). Undefined days are ambiguous: short sub-10 nm bursts without growth, a
  growing mode first seen at 10-25 nm (growth without a clear start), or a weak,
  fluctuating small mode. Non-event days have none of these.
- **Instrument**: counting noise (worse in the smallest channels, where the DMPS
  transfer function and detection efficiency are poor), inversion noise giving negative
  values, a per-scan multiplicative flow error, and metadata columns
  (``t1, t2, p1, p2, rh1, rh2, tconc``).
- **Defects**: missing days (most of the days the lab left unflagged, plus a few
  others), partial days, NaN gaps of minutes to hours, single-step spikes, duplicated
  rows, channel columns in the export's lexicographic (not diameter) order and channel
  grids that change between periods.

Every day is generated from its own random stream ``(seed, date ordinal)``, so a year
looks the same whichever range of years is simulated. Nothing here reads the real data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlops_lab.aerosol.grid import METADATA_NAMES, channel_name, log_grid

logger = logging.getLogger(__name__)

STEPS_PER_DAY = 144
HOURS = np.arange(STEPS_PER_DAY) / 6.0
LOG10_2PI_SQRT = np.sqrt(2 * np.pi)


@dataclass(frozen=True)
class InstrumentGrid:
    """The channels an instrument measured during a period of years."""

    first_year: int
    last_year: int
    d_min_nm: float
    d_max_nm: float
    n_channels: int

    @property
    def diameters_nm(self) -> np.ndarray:
        """Channel diameters as written in the export (3 significant digits)."""
        grid = log_grid(self.d_min_nm, self.d_max_nm, self.n_channels)
        return np.array([float(f"{d:.3g}") for d in grid])


@dataclass(frozen=True)
class DefectRates:
    """How often each data defect occurs (probabilities per day unless stated)."""

    missing_day: float = 0.02
    missing_unflagged_day: float = 0.7
    partial_day: float = 0.03
    short_gaps: float = 0.2
    long_gap: float = 0.05
    spike_per_step: float = 0.002
    duplicate_row_per_step: float = 0.001


def lognormal_mode(
    log_d: np.ndarray, number: np.ndarray, median_nm: np.ndarray, sigma_g: np.ndarray | float
) -> np.ndarray:
    """dN/dlogDp (cm^-3) of lognormal modes; ``number`` etc. broadcast against ``log_d``."""
    log_sigma = np.log10(sigma_g)
    z = (log_d - np.log10(median_nm)) / log_sigma
    return number / (LOG10_2PI_SQRT * log_sigma) * np.exp(-0.5 * z**2)


def _smooth_noise(rng: np.random.Generator, scale: float, n: int = STEPS_PER_DAY) -> np.ndarray:
    """A slowly varying random multiplicative factor (random walk, ~hours correlation)."""
    walk = np.cumsum(rng.normal(0, scale, n))
    kernel = np.ones(12) / 12
    return np.exp(np.convolve(walk - walk.mean(), kernel, mode="same"))


def _background(
    rng: np.random.Generator, log_d: np.ndarray, doy: int, clean_air: float
) -> np.ndarray:
    """Aitken + accumulation modes (steps x channels) with seasonal and diurnal cycles."""
    season = np.cos(2 * np.pi * (doy - 195) / 365.25)
    level = clean_air * np.exp(0.35 * season)
    drift = _smooth_noise(rng, 0.06)
    diurnal = 1 + 0.15 * np.sin(2 * np.pi * (HOURS - 9) / 24)
    n_aitken = 1300 * level * rng.lognormal(0, 0.45) * drift * diurnal
    n_accumulation = 700 * level * rng.lognormal(0, 0.55) * drift
    d_aitken = 48 * rng.lognormal(0, 0.15) * (1 + 0.1 * np.sin(2 * np.pi * (HOURS - 15) / 24))
    d_accumulation = 190 * rng.lognormal(0, 0.12)
    modes = lognormal_mode(
        log_d[None, :], n_aitken[:, None], d_aitken[:, None], rng.uniform(1.6, 1.9)
    ) + lognormal_mode(
        log_d[None, :], n_accumulation[:, None], d_accumulation, rng.uniform(1.45, 1.7)
    )
    if rng.random() < 0.15:  # rain or fog: hours of wet scavenging
        start = rng.uniform(0, 20)
        dip = 1 - 0.6 * np.exp(-0.5 * ((HOURS - start - 2) / rng.uniform(0.7, 2.5)) ** 2)
        modes *= dip[:, None]
    return modes


def _cohorts(
    log_d: np.ndarray,
    *,
    start_h: float,
    window_h: float,
    number: float,
    growth_nm_h: float,
    d_start_nm: float,
    lifetime_h: float,
    sigma_g: float,
    stall_nm: float | None = None,
    n_cohorts: int = 14,
) -> np.ndarray:
    """Particles formed over ``window_h`` hours, growing and decaying (the banana)."""
    result = np.zeros((STEPS_PER_DAY, log_d.size))
    births = start_h + np.linspace(0, window_h, n_cohorts)
    weights = np.exp(-0.5 * ((np.linspace(0, 1, n_cohorts) - 0.4) / 0.3) ** 2)
    weights *= number / weights.sum()
    for birth, weight in zip(births, weights, strict=True):
        age = HOURS - birth
        alive = age >= 0
        if not alive.any():
            continue
        diameter = d_start_nm + growth_nm_h * np.clip(age, 0, None)
        if stall_nm is not None:
            diameter = np.minimum(diameter, stall_nm)
        count = np.where(alive, weight * np.exp(-np.clip(age, 0, None) / lifetime_h), 0.0)
        result += lognormal_mode(log_d[None, :], count[:, None], diameter[:, None], sigma_g)
    return result


def _event(rng: np.random.Generator, log_d: np.ndarray, label: str, doy: int) -> np.ndarray:
    """The new-particle signal of one day for its class (zeros for non-event days)."""
    spring = np.exp(-0.5 * ((doy - 110) / 50) ** 2)
    start = float(np.clip(rng.normal(10.0 - 1.0 * spring, 1.3), 6.5, 14.5))
    if label == "Ia":
        return _cohorts(
            log_d,
            start_h=start,
            window_h=rng.uniform(1.5, 3.5),
            number=np.exp(rng.uniform(np.log(3000), np.log(20000))),
            growth_nm_h=rng.lognormal(np.log(3.0), 0.35),
            d_start_nm=1.6,
            lifetime_h=rng.uniform(5, 12),
            sigma_g=rng.uniform(1.25, 1.4),
        )
    if label == "Ib":
        signal = _cohorts(
            log_d,
            start_h=start,
            window_h=rng.uniform(1.0, 3.5),
            number=np.exp(rng.uniform(np.log(800), np.log(8000))),
            growth_nm_h=rng.lognormal(np.log(2.8), 0.5),
            d_start_nm=1.6,
            lifetime_h=rng.uniform(3, 9),
            sigma_g=rng.uniform(1.3, 1.5),
        )
        return signal * _smooth_noise(rng, 0.08)[:, None]
    if label == "II":
        variant = rng.choice(["interrupted", "stalled", "intermittent"])
        signal = _cohorts(
            log_d,
            start_h=start + rng.uniform(-1, 2),
            window_h=rng.uniform(0.5, 3.0),
            number=np.exp(rng.uniform(np.log(300), np.log(4000))),
            growth_nm_h=rng.lognormal(np.log(2.0), 0.6),
            d_start_nm=1.6,
            lifetime_h=rng.uniform(1.5, 6),
            sigma_g=rng.uniform(1.3, 1.6),
            stall_nm=rng.uniform(6, 15) if variant == "stalled" else None,
        )
        if variant == "interrupted":
            mask = np.ones(STEPS_PER_DAY)
            for _ in range(rng.integers(1, 4)):
                gap_start = rng.uniform(start, start + 8)
                mask[(gap_start < HOURS) & (gap_start + rng.uniform(0.5, 2.5) > HOURS)] = 0.1
            signal *= mask[:, None]
        else:
            signal *= _smooth_noise(rng, 0.25)[:, None]
        return signal
    if label == "undefined":
        variant = rng.choice(["burst", "no_start", "weak", "quiet"], p=[0.3, 0.3, 0.25, 0.15])
        if variant == "burst":  # small particles without growth
            return _cohorts(
                log_d,
                start_h=rng.uniform(7, 16),
                window_h=rng.uniform(0.3, 1.5),
                number=np.exp(rng.uniform(np.log(200), np.log(3000))),
                growth_nm_h=rng.uniform(0.0, 0.6),
                d_start_nm=rng.uniform(1.8, 4),
                lifetime_h=rng.uniform(0.5, 2),
                sigma_g=rng.uniform(1.3, 1.6),
            )
        if variant == "no_start":  # growth without a clear start (advected)
            return _cohorts(
                log_d,
                start_h=rng.uniform(6, 14),
                window_h=rng.uniform(1, 4),
                number=np.exp(rng.uniform(np.log(300), np.log(4000))),
                growth_nm_h=rng.lognormal(np.log(2.5), 0.5),
                d_start_nm=rng.uniform(10, 25),
                lifetime_h=rng.uniform(3, 10),
                sigma_g=rng.uniform(1.3, 1.6),
            )
        if variant == "weak":
            signal = _cohorts(
                log_d,
                start_h=start,
                window_h=rng.uniform(0.5, 2),
                number=np.exp(rng.uniform(np.log(100), np.log(800))),
                growth_nm_h=rng.uniform(0.3, 4),
                d_start_nm=1.6,
                lifetime_h=rng.uniform(1, 4),
                sigma_g=rng.uniform(1.4, 1.7),
            )
            return signal * _smooth_noise(rng, 0.3)[:, None]
    return np.zeros((STEPS_PER_DAY, log_d.size))


def _measure(rng: np.random.Generator, truth: np.ndarray, diameters: np.ndarray) -> np.ndarray:
    """Instrument response: counting noise, inversion noise (negatives), flow error."""
    small = np.clip((np.log10(20) - np.log10(diameters)) / np.log10(20 / 3), 0, 1)
    counts_per_unit = 0.3 - 0.27 * small  # lower detection efficiency below ~20 nm
    counting = rng.normal(0, 1, truth.shape) * np.sqrt(np.maximum(truth, 0) / counts_per_unit)
    inversion = rng.normal(0, 1, truth.shape) * (8 + 60 * small)
    flow = rng.lognormal(0, 0.04, (truth.shape[0], 1))
    return (truth + counting + inversion) * flow


def _metadata(rng: np.random.Generator, truth: np.ndarray, log_d: np.ndarray, doy: int) -> dict:
    """Instrument metadata columns for one day."""
    season = np.cos(2 * np.pi * (doy - 195) / 365.25)
    diurnal = np.sin(2 * np.pi * (HOURS - 9) / 24)
    pressure = 1000 + rng.normal(0, 8) + np.cumsum(rng.normal(0, 0.15, STEPS_PER_DAY))
    width = np.gradient(log_d)
    total = (np.maximum(truth, 0) * width[None, :]).sum(axis=1)
    return {
        "t1": 22 + 2 * season + 1.0 * diurnal + rng.normal(0, 0.2, STEPS_PER_DAY),
        "t2": 21 + 2 * season + 0.8 * diurnal + rng.normal(0, 0.2, STEPS_PER_DAY),
        "p1": pressure + rng.normal(0, 0.3, STEPS_PER_DAY),
        "p2": pressure - 1.5 + rng.normal(0, 0.3, STEPS_PER_DAY),
        "rh1": np.clip(15 + 5 * season + rng.normal(0, 2, STEPS_PER_DAY), 2, 60),
        "rh2": np.clip(12 + 5 * season + rng.normal(0, 2, STEPS_PER_DAY), 2, 60),
        "tconc": total * rng.lognormal(0, 0.05, STEPS_PER_DAY),
    }


def _apply_defects(
    rng: np.random.Generator, values: np.ndarray, rates: DefectRates
) -> tuple[np.ndarray, np.ndarray]:
    """Gaps, partial days and spikes; returns the values and the rows kept."""
    values = values.copy()
    keep = np.ones(STEPS_PER_DAY, dtype=bool)
    if rng.random() < rates.partial_day:
        length = int(rng.integers(20, 110))
        start = int(rng.integers(0, STEPS_PER_DAY - length))
        keep[:] = False
        keep[start : start + length] = True
    if rng.random() < rates.short_gaps:
        for _ in range(rng.integers(1, 4)):
            start, length = int(rng.integers(0, STEPS_PER_DAY)), int(rng.integers(1, 4))
            if rng.random() < 0.5:
                keep[start : start + length] = False  # rows absent from the export
            else:
                values[start : start + length, :] = np.nan  # rows present, values NaN
    if rng.random() < rates.long_gap:
        start, length = int(rng.integers(0, STEPS_PER_DAY)), int(rng.integers(12, 60))
        values[start : start + length, :] = np.nan
    n_spikes = rng.binomial(STEPS_PER_DAY, rates.spike_per_step)
    for _ in range(n_spikes):
        step, channel = int(rng.integers(0, STEPS_PER_DAY)), int(rng.integers(0, values.shape[1]))
        width = int(rng.integers(1, 5))
        values[step, channel : channel + width] = (
            np.abs(values[step, channel : channel + width]) + 1000
        ) * rng.uniform(10, 60)
    return values, keep


def simulate_day(
    date: pd.Timestamp,
    label5: str | None,
    diameters_nm: np.ndarray,
    seed: int,
    rates: DefectRates,
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """One day's export rows: ``(channel values, metadata)``, or ``None`` for a missing day.

    ``label5`` is the day's class (``Ia, Ib, II, undefined, nonevent``) or ``None`` for a
    day the lab left unflagged (bad or missing data).
    """
    rng = np.random.default_rng([seed, date.toordinal()])
    missing = rates.missing_unflagged_day if label5 is None else rates.missing_day
    if rng.random() < missing:
        return None
    log_d = np.log10(diameters_nm)
    doy = date.dayofyear
    clean_air = {
        "Ia": rng.lognormal(-0.5, 0.45),
        "Ib": rng.lognormal(-0.3, 0.45),
        "II": rng.lognormal(-0.15, 0.45),
        "undefined": rng.lognormal(-0.05, 0.45),
    }.get(label5 or "", rng.lognormal(0.1, 0.45))
    truth = _background(rng, log_d, doy, clean_air)
    truth = truth + _event(rng, log_d, label5 or "nonevent", doy)
    measured = _measure(rng, truth, diameters_nm)
    if label5 is None:  # unflagged: bad data even when present
        rates = DefectRates(long_gap=0.9, partial_day=0.5, short_gaps=0.5)
    values, keep = _apply_defects(rng, measured, rates)
    metadata = _metadata(rng, truth, log_d, doy)
    times = date + pd.to_timedelta(HOURS * 60, unit="min").round("min")
    if rng.random() < rates.duplicate_row_per_step * STEPS_PER_DAY:
        keep_index = np.flatnonzero(keep)
        if keep_index.size:
            keep = np.sort(np.append(keep_index, rng.choice(keep_index)))
    frame = pd.DataFrame(values[keep], index=times[keep])
    meta = pd.DataFrame({k: np.asarray(v)[keep] for k, v in metadata.items()}, index=times[keep])
    meta.loc[np.isnan(values[keep]).all(axis=1), "tconc"] = np.nan
    return frame, meta


def grid_for_year(year: int, grids: list[InstrumentGrid]) -> InstrumentGrid:
    """The instrument grid used in ``year``."""
    for grid in grids:
        if grid.first_year <= year <= grid.last_year:
            return grid
    raise ValueError(f"no instrument grid configured for {year}; grids: {grids}.")


def simulate_export(
    days: pd.DataFrame,
    grid: InstrumentGrid,
    seed: int,
    rates: DefectRates,
    station: str = "HYY",
) -> pd.DataFrame:
    """SmartSMEAR-style export of ``days`` (columns ``date``, ``label5``) on one grid.

    Columns: ``Year, Month, Day, Hour, Minute, Second`` then the channels
    ``<station>_DMPS.dNNNeE`` and metadata ``<station>_DMPS.t1 ...`` in lexicographic
    order, as the export writes them (so channels are not in diameter order).
    """
    diameters = grid.diameters_nm
    frames, metas = [], []
    for date, label in zip(days["date"], days["label5"], strict=True):
        simulated = simulate_day(
            pd.Timestamp(date), None if pd.isna(label) else str(label), diameters, seed, rates
        )
        if simulated is not None:
            frames.append(simulated[0])
            metas.append(simulated[1])
    channel_names = [channel_name(d, station) for d in diameters]
    if not frames:
        columns = ["Year", "Month", "Day", "Hour", "Minute", "Second"]
        return pd.DataFrame(columns=columns + sorted(channel_names))
    values = pd.concat(frames)
    values.columns = channel_names
    meta = pd.concat(metas)
    meta.columns = [f"{station}_DMPS.{name}" for name in METADATA_NAMES]
    index = pd.DatetimeIndex(values.index)
    time = pd.DataFrame(
        {
            "Year": index.year,
            "Month": index.month,
            "Day": index.day,
            "Hour": index.hour,
            "Minute": index.minute,
            "Second": index.second,
        }
    )
    body = pd.concat([values, meta], axis=1)
    body = body[sorted(body.columns)].reset_index(drop=True)
    return pd.concat([time, body], axis=1)


def simulate_dmps_years(
    labels: pd.DataFrame,
    first_year: int,
    last_year: int,
    grids: list[dict[str, Any]],
    seed: int,
    defect_rates: dict[str, float],
) -> dict[str, pd.DataFrame]:
    """One SmartSMEAR export per year for every day of the labels file in the range.

    Args:
        labels: Parsed labels (``date``, ``label5`` with missing for unflagged days).
        first_year, last_year: Inclusive range of years to simulate.
        grids: Instrument grids by period (``first_year, last_year, d_min_nm, d_max_nm,
            n_channels``).
        seed: Base seed.
        defect_rates: Overrides of :class:`DefectRates`.

    Returns:
        ``{"HYY_DMPS_<year>": export}``.
    """
    instrument_grids = [InstrumentGrid(**g) for g in grids]
    rates = DefectRates(**defect_rates)
    exports = {}
    for year in range(first_year, last_year + 1):
        days = labels[labels["date"].dt.year == year]
        if days.empty:
            logger.warning("No labelled days in %s: nothing simulated for that year.", year)
            continue
        grid = grid_for_year(year, instrument_grids)
        exports[f"HYY_DMPS_{year}"] = simulate_export(days, grid, seed, rates)
        logger.info(
            "Simulated DMPS %s: %d days, %d rows, %d channels %.3g-%.4g nm",
            year,
            len(days),
            len(exports[f"HYY_DMPS_{year}"]),
            grid.n_channels,
            grid.d_min_nm,
            grid.d_max_nm,
        )
    return exports
