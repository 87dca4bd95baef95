"""Synthetic daily battery series for the battery domain tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_series(lengths: dict[int, int], seed: int = 0, start: str = "2015-01-01") -> pd.DataFrame:
    """Daily series with a weekly pattern: cycles = rate x duration (+ small noise)."""
    rng = np.random.default_rng(seed)
    frames = []
    for battery_id, days in lengths.items():
        dates = pd.date_range(start, periods=days, freq="D")
        weekly = np.where(dates.dayofweek >= 5, 0.6, 1.1)
        duration = 55 * weekly * rng.normal(1, 0.05, days)
        rate = 0.0025 * (1 + 0.3 * np.arange(days) / days)
        cycles = rate * duration * rng.normal(1, 0.01, days)
        frames.append(
            pd.DataFrame(
                {
                    "Date": dates,
                    "Battery_ID": battery_id,
                    "Battery_Age_Days": np.arange(days, dtype=float),
                    "Daily_Trip_Duration": duration,
                    "Daily_Cycles_Used": cycles,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
