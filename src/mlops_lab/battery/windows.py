"""Sliding windows of daily battery series for the recurrent forecaster, and their scaling.

A window of battery ``b`` ending on day ``t`` holds the ``length`` days ``t - length + 1 ..
t`` of the input features; its target is ``Daily_Cycles_Used`` of the ``horizon`` days
``t + 1 .. t + horizon``. Windows never cross batteries, and a window's inputs never
include a day of its target (no look-ahead). Day-of-week features are derived from the
date, so a forecast knows which weekdays it is for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, DURATION

FEATURES = (CYCLES, DURATION, "dow_sin", "dow_cos")
"""Input features of every day of a window, in this order (the first is the target)."""


def day_features(frame: pd.DataFrame) -> np.ndarray:
    """The :data:`FEATURES` of each row of a daily series (rows x features), float32."""
    day = pd.to_datetime(frame[DATE]).dt.dayofweek.to_numpy()
    angle = 2 * np.pi * day / 7
    return np.column_stack(
        [
            frame[CYCLES].to_numpy(dtype=float),
            frame[DURATION].to_numpy(dtype=float),
            np.sin(angle),
            np.cos(angle),
        ]
    ).astype("float32")


@dataclass(frozen=True)
class Scaler:
    """Per-feature standardisation, fitted once on training rows and packaged with the model.

    The target is :data:`FEATURES`' first column, so ``mean[0]`` / ``std[0]`` also map
    the network's scaled forecasts back to cycles.
    """

    mean: tuple[float, ...]
    std: tuple[float, ...]

    @classmethod
    def fit(cls, features: np.ndarray) -> Scaler:
        """Mean and standard deviation of each column (a constant column gets std 1)."""
        if features.ndim != 2 or len(features) == 0:
            raise ValueError(f"Need a non-empty rows x features array, got shape {features.shape}.")
        std = features.std(axis=0)
        return cls(
            mean=tuple(float(v) for v in features.mean(axis=0)),
            std=tuple(float(v) if v > 0 else 1.0 for v in std),
        )

    def transform(self, features: np.ndarray) -> np.ndarray:
        return ((features - np.asarray(self.mean)) / np.asarray(self.std)).astype("float32")

    def target_to_cycles(self, scaled: np.ndarray) -> np.ndarray:
        return scaled * self.std[0] + self.mean[0]

    def cycles_to_target(self, cycles: np.ndarray) -> np.ndarray:
        return ((cycles - self.mean[0]) / self.std[0]).astype("float32")


@dataclass(frozen=True)
class Windows:
    """Inputs ``(n, length, features)``, targets ``(n, horizon)`` and where each came from."""

    inputs: np.ndarray
    targets: np.ndarray
    battery: np.ndarray
    last_input_day: np.ndarray  # the date of each window's last input day

    def __len__(self) -> int:
        return len(self.inputs)


def sliding_windows(
    series: pd.DataFrame,
    length: int,
    horizon: int,
    first_target_after: pd.Series | None = None,
    last_target_until: pd.Series | None = None,
    stride: int = 1,
) -> Windows:
    """Every window of every battery whose target lies inside the allowed days.

    Args:
        series: One row per battery and day (consecutive days per battery).
        length: Input days per window.
        horizon: Target days after each window.
        first_target_after: Per battery (index), targets must start after this date.
        last_target_until: Per battery, targets must end on or before this date.
        stride: Days between the ends of consecutive windows.

    Returns:
        Unscaled windows (see :func:`day_features`).
    """
    if length < 1 or horizon < 1 or stride < 1:
        raise ValueError("length, horizon and stride must be at least 1.")
    inputs, targets, batteries, ends = [], [], [], []
    for battery_id, group in series.sort_values([BATTERY_ID, DATE]).groupby(BATTERY_ID, sort=True):
        features = day_features(group)
        dates = pd.to_datetime(group[DATE]).to_numpy()
        n = len(group)
        if n < length + horizon:
            continue
        # Window k: inputs rows [k, k + length), targets rows [k + length, k + length + horizon).
        starts = np.arange(0, n - length - horizon + 1)
        target_first = dates[starts + length]
        target_last = dates[starts + length + horizon - 1]
        keep = np.ones(len(starts), dtype=bool)
        if first_target_after is not None and battery_id in first_target_after.index:
            keep &= target_first > np.datetime64(first_target_after.loc[battery_id])
        if last_target_until is not None and battery_id in last_target_until.index:
            keep &= target_last <= np.datetime64(last_target_until.loc[battery_id])
        starts = starts[keep]
        starts = starts[(starts - (starts[-1] if len(starts) else 0)) % stride == 0]
        if not len(starts):
            continue
        view = np.lib.stride_tricks.sliding_window_view(features, (length, features.shape[1]))
        inputs.append(view[starts, 0])
        cycles = features[:, 0]
        targets.append(np.stack([cycles[s + length : s + length + horizon] for s in starts]))
        batteries.append(np.full(len(starts), battery_id))
        ends.append(dates[starts + length - 1])
    if not inputs:
        return Windows(
            np.empty((0, length, len(FEATURES)), "float32"),
            np.empty((0, horizon), "float32"),
            np.empty(0, int),
            np.empty(0, "datetime64[ns]"),
        )
    return Windows(
        np.concatenate(inputs).astype("float32"),
        np.concatenate(targets).astype("float32"),
        np.concatenate(batteries),
        np.concatenate(ends),
    )


def training_cutoff(history: pd.DataFrame, validation_days: int) -> pd.Series:
    """Per battery, the last training day: ``validation_days`` before its last history day."""
    return history.groupby(BATTERY_ID)[DATE].max() - pd.Timedelta(days=validation_days)
