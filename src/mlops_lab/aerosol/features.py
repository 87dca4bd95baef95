"""Hand-made features of a day's size distribution for the non-deep baseline.

Computed on the scaled day tensors (``days x channels x steps``, log10 concentration), so
the baseline sees exactly what the CNN sees. Three groups, the quantities an analyst looks
at when classifying a day by eye:

- **band concentrations by time of day**: mean log concentration in diameter bands
  (nucleation 3-7 and 7-15 nm, Aitken 15-30, 30-60 and 60-150 nm, accumulation above)
  over 2-hour windows;
- **growth**: per 2-hour window from 06 to 22 h, the diameter of the largest concentration
  below 60 nm (the nucleation mode's position), and the log-diameter slope between the
  morning and the afternoon windows;
- **totals**: mean log concentration over all channels per 4-hour window, and the
  midday increase of the smallest band over its night level.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

BANDS_NM = ((0, 7), (7, 15), (15, 30), (30, 60), (60, 150), (150, np.inf))
NUCLEATION_MAX_NM = 60.0


def _window_means(values: np.ndarray, hours: np.ndarray, width_h: float) -> list[np.ndarray]:
    """Mean over the last axis in consecutive windows of ``width_h`` hours."""
    edges = np.arange(0, 24 + width_h / 2, width_h)
    return [
        values[..., (hours >= low) & (hours < high)].mean(axis=-1) for low, high in pairwise(edges)
    ]


def day_features(x: np.ndarray, diameters_nm: np.ndarray, step_minutes: int = 10) -> pd.DataFrame:
    """Feature table, one row per day.

    Args:
        x: Scaled tensors ``days x channels x steps``.
        diameters_nm: Channel diameters.
        step_minutes: Time step.

    Returns:
        A float frame with named columns (same columns for any input of the same grid).

    Raises:
        ValueError: ``x`` is not 3-D or its channels do not match ``diameters_nm``.
    """
    if x.ndim != 3 or x.shape[1] != len(diameters_nm):
        raise ValueError(
            f"expected days x {len(diameters_nm)} channels x steps, got shape {x.shape}."
        )
    hours = np.arange(x.shape[2]) * step_minutes / 60
    columns: dict[str, np.ndarray] = {}
    for low, high in BANDS_NM:
        in_band = (diameters_nm >= low) & (diameters_nm < high)
        if not in_band.any():  # a coarse grid has no channel in this band
            continue
        band = x[:, in_band, :].mean(axis=1)
        for i, window in enumerate(_window_means(band, hours, 2.0)):
            columns[f"band_{low}_{high}nm_h{2 * i:02d}"] = window
    nucleation = diameters_nm < NUCLEATION_MAX_NM
    log_d = np.log10(diameters_nm[nucleation])
    peak_log_d = log_d[np.argmax(x[:, nucleation, :], axis=1)]  # days x steps
    peak_value = np.max(x[:, nucleation, :], axis=1)
    windows = [(h, h + 2) for h in range(6, 22, 2)]
    for low, high in windows:
        chosen = (hours >= low) & (hours < high)
        columns[f"peak_log_d_h{low:02d}"] = np.median(peak_log_d[:, chosen], axis=1)
        columns[f"peak_value_h{low:02d}"] = peak_value[:, chosen].mean(axis=1)
    columns["growth_log_d_per_h"] = (columns["peak_log_d_h16"] - columns["peak_log_d_h10"]) / 6
    columns["growth_log_d_per_h_late"] = (columns["peak_log_d_h20"] - columns["peak_log_d_h14"]) / 6
    for i, window in enumerate(_window_means(x.mean(axis=1), hours, 4.0)):
        columns[f"total_h{4 * i:02d}"] = window
    smallest = x[:, diameters_nm < 7, :].mean(axis=1)
    night = smallest[:, (hours < 5)].mean(axis=1)
    columns["small_midday_minus_night"] = (
        smallest[:, (hours >= 10) & (hours < 15)].mean(axis=1) - night
    )
    columns["small_max_minus_night"] = smallest.max(axis=1) - night
    return pd.DataFrame(columns).astype(float)
