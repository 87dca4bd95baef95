"""From a SmartSMEAR DMPS export to scaled day tensors: the one preprocessing path.

Training data (``aerosol_data``), batch inference (``classify_days``) and the registered
MLflow model all call these functions, so a day is transformed identically everywhere.
Nothing here is fitted on data: the grid, the gap rules and the scaling are parameters
(:class:`PreprocessingConfig`).

Steps, in order:

1. :func:`split_export` validates the export, parses timestamps (rounded to the 10-minute
   step, duplicates dropped), renames channels to diameters in nm sorted ascending and
   splits off the instrument metadata;
2. :func:`sizes_on_grid` maps any instrument grid onto the model's fixed grid by
   interpolation in log-diameter (channels outside the measured range become missing);
3. :func:`day_cube` lays the series out as days x time steps x channels (missing rows NaN);
4. :func:`clean_cube` sets negatives (inversion artefacts) to 0, removes single-step
   spikes, fills gaps of at most ``max_gap_steps`` along time and measures what is still
   missing; :func:`assess_days` keeps days with at most ``max_missing_fraction`` missing;
5. :func:`complete_days` fills what remains of kept days (longer gaps by interpolation in
   time, channels with no data all day with 0) so every day has 144 complete steps;
   (:func:`clean_days` runs steps 3-5 in chunks of days);
6. :func:`scale_cube` applies ``log10(x + log_offset) / log_max`` and returns float32
   tensors days x channels x time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from mlops_lab.aerosol.grid import (
    channel_diameter_nm,
    is_channel,
    is_metadata,
    log_grid,
    map_to_grid,
)
from mlops_lab.aerosol.schemas import DMPS_EXPORT_SCHEMA, TIME_COLUMNS
from mlops_lab.validation import InputValidationError, validate_frame

MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class PreprocessingConfig:
    """Every setting of the preprocessing (``aerosol_data.preprocessing`` parameters)."""

    d_min_nm: float = 3.0
    d_max_nm: float = 1000.0
    n_channels: int = 40
    step_minutes: int = 10
    max_gap_steps: int = 3
    max_missing_fraction: float = 0.25
    spike_factor: float = 10.0
    spike_min: float = 1000.0
    log_offset: float = 1.0
    log_max: float = 6.0

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> PreprocessingConfig:
        """Build from a parameters dict; unknown keys are an error (typos fail loudly)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown preprocessing settings {unknown}; known: {sorted(known)}.")
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (for parameters, MLflow and the model input file)."""
        return asdict(self)

    @property
    def steps_per_day(self) -> int:
        """Time steps in one day (144 for 10-minute data)."""
        return MINUTES_PER_DAY // self.step_minutes

    @property
    def diameters_nm(self) -> np.ndarray:
        """The model's fixed diameter grid."""
        return log_grid(self.d_min_nm, self.d_max_nm, self.n_channels)


def diameter_label(diameter_nm: float) -> str:
    """Column name of a diameter in the parsed tables (``'3.16'``, ``'1000'``)."""
    return f"{diameter_nm:.4g}"


def frame_diameters(frame: pd.DataFrame) -> np.ndarray:
    """Diameters (nm) of a parsed size-distribution table's columns."""
    return frame.columns.astype(float).to_numpy()


def split_export(
    raw: pd.DataFrame, source: str, step_minutes: int = 10
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Validate an export and split it into the size distribution and instrument metadata.

    Args:
        raw: The export as loaded: time columns, ``XXX_DMPS.dNNNeE`` channels in any
            order, optional metadata columns ``XXX_DMPS.t1 ... tconc``.
        source: File name used in error messages.
        step_minutes: Timestamps are rounded to this step.

    Returns:
        ``(sizes, metadata)``, both indexed by ``time`` (sorted, unique). ``sizes`` has one
        column per channel named by its diameter in nm, ascending; ``metadata`` has
        ``t1, t2, p1, p2, rh1, rh2, tconc`` (those present).

    Raises:
        InputValidationError: schema failures, fewer than two channels, duplicated
            channels, or a time that is not a calendar date.
    """
    table = validate_frame(raw, DMPS_EXPORT_SCHEMA, source)
    channels = [c for c in table.columns if is_channel(c)]
    if len(channels) < 2:
        raise InputValidationError(
            f"{source}: found {len(channels)} size channel column(s) {channels}; expected at "
            "least two columns named like 'HYY_DMPS.d316e1'."
        )
    diameters = np.array([channel_diameter_nm(c) for c in channels])
    if len(np.unique(diameters)) != len(diameters):
        raise InputValidationError(
            f"{source}: several channel columns encode the same diameter: {channels}."
        )
    parts = table[list(TIME_COLUMNS)].rename(columns=str.lower)
    time = pd.to_datetime(parts, errors="coerce")
    if time.isna().any():
        rows = time.index[time.isna()].tolist()[:5]
        raise InputValidationError(
            f"{source}: columns {list(TIME_COLUMNS)} do not form a valid date at rows {rows}; "
            "expected a calendar date and time."
        )
    time = time.dt.round(f"{step_minutes}min")
    order = np.argsort(diameters)
    sizes = pd.DataFrame(
        table[[channels[i] for i in order]].to_numpy(dtype=float),
        index=pd.DatetimeIndex(time, name="time"),
        columns=[diameter_label(d) for d in diameters[order]],
    )
    metadata_columns = [c for c in table.columns if is_metadata(c)]
    metadata = pd.DataFrame(
        table[metadata_columns].to_numpy(dtype=float),
        index=sizes.index,
        columns=[c.split(".", 1)[1] for c in metadata_columns],
    )
    keep = ~sizes.index.duplicated(keep="first")
    return sizes[keep].sort_index(), metadata[keep].sort_index()


def sizes_on_grid(sizes: pd.DataFrame, diameters_nm: np.ndarray) -> pd.DataFrame:
    """Map a parsed size distribution onto ``diameters_nm`` (log-diameter interpolation)."""
    mapped = map_to_grid(sizes.to_numpy(dtype=float), frame_diameters(sizes), diameters_nm)
    return pd.DataFrame(
        mapped, index=sizes.index, columns=[diameter_label(d) for d in diameters_nm]
    )


def day_cube(
    frame: pd.DataFrame, step_minutes: int = 10
) -> tuple[np.ndarray, pd.DatetimeIndex, np.ndarray]:
    """Lay a time-indexed table out as ``days x steps x channels`` (absent rows are NaN).

    Returns:
        ``(cube, dates, steps_present)``: the float64 cube, the day of each slice and the
        number of time steps each day had rows for.
    """
    steps = MINUTES_PER_DAY // step_minutes
    if frame.empty:
        return np.empty((0, steps, frame.shape[1])), pd.DatetimeIndex([], name="date"), np.array([])
    index = pd.DatetimeIndex(frame.index)
    day = index.normalize()
    dates = pd.DatetimeIndex(day.unique().sort_values(), name="date")
    day_position = dates.get_indexer(day)
    slot = ((index - day) // pd.Timedelta(minutes=step_minutes)).to_numpy().astype(int)
    cube = np.full((len(dates), steps, frame.shape[1]), np.nan)
    cube[day_position, slot, :] = frame.to_numpy(dtype=float)
    present = np.zeros((len(dates), steps), dtype=bool)
    present[day_position, slot] = True
    return cube, dates, present.sum(axis=1)


def _fill_gaps_in_time(cube: np.ndarray, max_gap: int | None) -> np.ndarray:
    """Fill NaN runs along axis 1 of ``days x steps x channels``.

    Interior gaps are interpolated linearly, gaps at the start or end of a day take the
    nearest value; only runs of at most ``max_gap`` steps are filled (all when ``None``).
    """
    missing = np.isnan(cube)
    if not missing.any():
        return cube.copy()
    n_steps = cube.shape[1]
    t = np.arange(n_steps)[None, :, None]
    previous = np.maximum.accumulate(np.where(~missing, t, -1), axis=1)
    following = np.flip(
        np.minimum.accumulate(np.flip(np.where(~missing, t, n_steps), axis=1), axis=1), axis=1
    )
    has_previous, has_following = previous >= 0, following < n_steps
    fillable = missing & (has_previous | has_following)
    if max_gap is not None:
        fillable &= (following - previous - 1) <= max_gap
    previous_value = np.take_along_axis(cube, np.clip(previous, 0, n_steps - 1), axis=1)
    following_value = np.take_along_axis(cube, np.clip(following, 0, n_steps - 1), axis=1)
    span = np.where(has_previous & has_following, np.maximum(following - previous, 1), 1)
    weight = (t - previous) / span
    interpolated = np.where(
        has_previous & has_following,
        previous_value + weight * (following_value - previous_value),
        np.where(has_previous, previous_value, following_value),
    )
    return np.where(fillable, interpolated, cube)


def _remove_spikes(
    cube: np.ndarray, factor: float, min_value: float
) -> tuple[np.ndarray, np.ndarray]:
    """Set single-step spikes to NaN: above ``min_value`` and ``factor`` x both neighbours."""
    padded = np.pad(cube, ((0, 0), (1, 1), (0, 0)), constant_values=np.nan)
    neighbours = np.fmax(padded[:, :-2, :], padded[:, 2:, :])
    with np.errstate(invalid="ignore"):
        spikes = (cube > min_value) & (cube > factor * neighbours)
    return np.where(spikes, np.nan, cube), spikes.sum(axis=(1, 2)).astype(int)


def clean_cube(cube: np.ndarray, config: PreprocessingConfig) -> tuple[np.ndarray, pd.DataFrame]:
    """Negatives to 0, spikes removed, short gaps (``max_gap_steps``) filled along time.

    Returns:
        ``(cleaned cube, counts)``: counts per day of ``negative_values``, ``spikes``
        removed and the share of cells missing before any filling
        (``missing_fraction_raw``: absent rows, NaN values, channels out of range).
    """
    negatives = (cube < 0).sum(axis=(1, 2))
    clipped = np.where(cube < 0, 0.0, cube)
    despiked, spikes = _remove_spikes(clipped, config.spike_factor, config.spike_min)
    filled = _fill_gaps_in_time(despiked, config.max_gap_steps)
    counts = pd.DataFrame(
        {
            "missing_fraction_raw": np.isnan(cube).mean(axis=(1, 2)) if len(cube) else [],
            "negative_values": negatives.astype(int),
            "spikes": spikes,
        }
    )
    return filled, counts


def assess_days(
    cube: np.ndarray,
    dates: pd.DatetimeIndex,
    steps_present: np.ndarray,
    config: PreprocessingConfig,
) -> pd.DataFrame:
    """Per-day quality after short-gap filling and the keep/exclude decision with reason."""
    steps = config.steps_per_day
    missing = np.isnan(cube).mean(axis=(1, 2)) if len(cube) else np.array([])
    empty_channels = np.isnan(cube).all(axis=1).mean(axis=1) if len(cube) else np.array([])
    limit = config.max_missing_fraction
    reasons = []
    for n_steps, fraction in zip(steps_present, missing, strict=True):
        if n_steps < steps * (1 - limit):
            reasons.append(f"partial day: {int(n_steps)} of {steps} time steps")
        elif fraction > limit:
            reasons.append(f"too much missing data: {fraction:.0%} > {limit:.0%}")
        else:
            reasons.append("")
    return pd.DataFrame(
        {
            "date": dates,
            "steps_present": np.asarray(steps_present, dtype=int),
            "missing_fraction": missing,
            "empty_channel_fraction": empty_channels,
            "kept": [reason == "" for reason in reasons],
            "exclusion_reason": reasons,
        }
    )


def complete_days(cube: np.ndarray) -> np.ndarray:
    """Fill what remains: longer gaps by interpolation in time, empty channels with 0."""
    filled = _fill_gaps_in_time(cube, max_gap=None)
    return np.where(np.isnan(filled), 0.0, filled)


def scale_cube(cube: np.ndarray, config: PreprocessingConfig) -> np.ndarray:
    """``log10(x + log_offset) / log_max`` as float32 ``days x channels x time``."""
    scaled = np.log10(np.maximum(cube, 0.0) + config.log_offset) / config.log_max
    return np.ascontiguousarray(np.transpose(scaled, (0, 2, 1)), dtype=np.float32)


def unscale_tensors(x: np.ndarray, config: PreprocessingConfig) -> np.ndarray:
    """dN/dlogDp (cm^-3) of scaled tensors, ``days x channels x time`` (inverse of
    :func:`scale_cube`, for plotting what the model saw)."""
    return 10.0 ** (np.asarray(x, dtype=np.float64) * config.log_max) - config.log_offset


def cube_to_frame(
    cube: np.ndarray, dates: pd.DatetimeIndex, config: PreprocessingConfig
) -> pd.DataFrame:
    """Inverse of :func:`day_cube` for complete days: one row per time step."""
    steps = config.steps_per_day
    offsets = pd.to_timedelta(np.arange(steps) * config.step_minutes, unit="min")
    index = pd.DatetimeIndex(
        (np.asarray(dates, dtype="datetime64[ns]")[:, None] + offsets.to_numpy()[None, :]).ravel(),
        name="time",
    )
    columns = [diameter_label(d) for d in config.diameters_nm]
    return pd.DataFrame(cube.reshape(-1, cube.shape[2]), index=index, columns=columns)


@dataclass(frozen=True)
class PreparedDays:
    """Kept days (``x``: scaled tensors, or dN/dlogDp cubes) and every day's quality."""

    x: np.ndarray
    dates: pd.DatetimeIndex
    quality: pd.DataFrame


def clean_days(
    sizes: pd.DataFrame, config: PreprocessingConfig, chunk_days: int = 366
) -> PreparedDays:
    """Grid-mapped series -> complete cleaned days (``days x steps x channels``) + quality.

    Steps 3-5 of the module docstring, in chunks of ``chunk_days`` days so that a decade
    of data does not hold every temporary array at once.
    """
    day = pd.DatetimeIndex(sizes.index).normalize()
    all_days = day.unique().sort_values()
    cubes, dates, qualities = [], [], []
    for start in range(0, len(all_days), chunk_days):
        part = sizes[day.isin(all_days[start : start + chunk_days])]
        cube, part_dates, present = day_cube(part, config.step_minutes)
        cleaned, counts = clean_cube(cube, config)
        quality = pd.concat([assess_days(cleaned, part_dates, present, config), counts], axis=1)
        kept = quality["kept"].to_numpy()
        cubes.append(complete_days(cleaned[kept]))
        dates.append(part_dates[kept])
        qualities.append(quality)
    if not cubes:
        empty = np.empty((0, config.steps_per_day, sizes.shape[1]))
        quality = assess_days(empty, pd.DatetimeIndex([]), np.array([]), config)
        return PreparedDays(empty, pd.DatetimeIndex([], name="date"), quality)
    return PreparedDays(
        x=np.concatenate(cubes),
        dates=pd.DatetimeIndex(np.concatenate([d.to_numpy() for d in dates]), name="date"),
        quality=pd.concat(qualities, ignore_index=True),
    )


def prepare_days(sizes: pd.DataFrame, config: PreprocessingConfig) -> PreparedDays:
    """Grid-mapped size distribution -> scaled tensors of complete days + quality table."""
    cleaned = clean_days(sizes, config)
    return PreparedDays(
        x=scale_cube(cleaned.x, config), dates=cleaned.dates, quality=cleaned.quality
    )


def prepare_export(raw: pd.DataFrame, config: PreprocessingConfig, source: str) -> PreparedDays:
    """Raw SmartSMEAR rows (any days, any grid) -> scaled day tensors, as in training."""
    sizes, _ = split_export(raw, source, config.step_minutes)
    return prepare_days(sizes_on_grid(sizes, config.diameters_nm), config)
