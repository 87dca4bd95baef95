"""Metric functions against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.battery.metrics import (
    best_constant_normalized_rmse,
    forecast_metrics,
    macro_average,
    per_battery_metrics,
)


def test_forecast_metrics_match_hand_computed_values() -> None:
    # errors [0, 0, 0, 2]; range 3
    metrics = forecast_metrics(np.array([1, 2, 3, 4]), np.array([1, 2, 3, 6]), y_range=3.0)
    assert metrics["rmse"] == pytest.approx(1.0)  # sqrt(4 / 4)
    assert metrics["mae"] == pytest.approx(0.5)
    assert metrics["normalized_rmse"] == pytest.approx(1 / 3)
    assert metrics["normalized_mae"] == pytest.approx(0.5 / 3)
    assert metrics["smape"] == pytest.approx(10.0)  # 100 * mean([0, 0, 0, 2 * 2 / 10])
    assert metrics["r2"] == pytest.approx(0.2)  # 1 - 4 / 5


def test_forecast_metrics_refuse_a_zero_range_and_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="range must be positive"):
        forecast_metrics(np.ones(3), np.ones(3), y_range=0.0)
    with pytest.raises(ValueError, match="one shape"):
        forecast_metrics(np.ones(3), np.ones(2), y_range=1.0)


def test_per_battery_metrics_are_macro_averaged() -> None:
    forecasts = pd.DataFrame(
        {
            "Battery_ID": [1, 1, 2, 2],
            "y_true": [0.0, 2.0, 10.0, 10.0],
            "y_pred": [1.0, 1.0, 10.0, 14.0],
        }
    )
    per_battery = per_battery_metrics(forecasts, pd.Series({1: 2.0, 2: 8.0}))
    assert per_battery.loc[1, "normalized_rmse"] == pytest.approx(0.5)  # rmse 1 / range 2
    assert per_battery.loc[2, "normalized_rmse"] == pytest.approx(np.sqrt(8) / 8)
    assert macro_average(per_battery)["normalized_rmse"] == pytest.approx(
        (0.5 + np.sqrt(8) / 8) / 2
    )


def test_best_constant_is_the_standard_deviation_over_the_range() -> None:
    assert best_constant_normalized_rmse(np.array([1.0, 3.0]), y_range=2.0) == pytest.approx(0.5)
