"""Forecast metrics, per battery and macro-averaged over batteries (as Azure AutoML does).

Normalised metrics divide by the range (max - min) of the battery's target over the
history the model was trained on, so a score does not depend on the scale of a battery.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

METRICS = ("normalized_rmse", "rmse", "mae", "normalized_mae", "smape", "r2")
"""Names of the metrics returned by :func:`forecast_metrics`; the first is the primary."""


def forecast_metrics(y_true: np.ndarray, y_pred: np.ndarray, y_range: float) -> dict[str, float]:
    """RMSE, MAE, their normalised versions, sMAPE (in %) and R2 of one series.

    Args:
        y_true: Observed values.
        y_pred: Forecasts, same length.
        y_range: max - min of the target over the training history (must be > 0).
    """
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(
            f"Need two non-empty arrays of one shape, got {y_true.shape} and {y_pred.shape}."
        )
    if not y_range > 0:
        raise ValueError(f"The target range must be positive to normalise, got {y_range}.")
    error = y_pred - y_true
    rmse = float(np.sqrt(np.mean(error**2)))
    mae = float(np.mean(np.abs(error)))
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.divide(
        2 * np.abs(error), denominator, out=np.zeros_like(error), where=denominator > 0
    )
    total = float(np.sum((y_true - y_true.mean()) ** 2))
    r2 = 1.0 - float(np.sum(error**2)) / total if total > 0 else float("nan")
    return {
        "normalized_rmse": rmse / y_range,
        "rmse": rmse,
        "mae": mae,
        "normalized_mae": mae / y_range,
        "smape": 100.0 * float(np.mean(ratio)),
        "r2": r2,
    }


def per_battery_metrics(
    forecasts: pd.DataFrame, ranges: pd.Series, battery: str = "Battery_ID"
) -> pd.DataFrame:
    """Metrics of every battery.

    Args:
        forecasts: Columns ``battery``, ``y_true``, ``y_pred``.
        ranges: Target range of each battery's training history, indexed by battery.

    Returns:
        One row per battery (index), one column per metric.
    """
    rows = {
        battery_id: forecast_metrics(
            group["y_true"], group["y_pred"], float(ranges.loc[battery_id])
        )
        for battery_id, group in forecasts.groupby(battery, sort=True)
    }
    return pd.DataFrame.from_dict(rows, orient="index")[list(METRICS)].rename_axis(battery)


def macro_average(per_battery: pd.DataFrame) -> dict[str, float]:
    """Mean of each metric over batteries (every battery weighs the same)."""
    return {metric: float(per_battery[metric].mean()) for metric in METRICS}


def best_constant_normalized_rmse(y_true: np.ndarray, y_range: float) -> float:
    """The normalised RMSE of the best constant forecast in hindsight (the mean of y_true).

    No forecast that ignores the day-to-day noise can do better; on a white-noise series
    it is the floor a forecaster can approach.
    """
    y_true = np.asarray(y_true, dtype=float)
    return float(np.sqrt(np.mean((y_true - y_true.mean()) ** 2)) / y_range)
