"""Nodes of battery_batch_scoring: future covariates, forecast shape and intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.candidates import build_forecaster
from mlops_lab.battery.model import BatteryCyclesModel, error_quantiles, future_frame
from mlops_lab.pipelines.battery_batch_scoring.nodes import (
    build_future_covariates,
    plot_forecasts,
    score_batteries,
)
from mlops_lab.registry import RegisteredModel

ARIMA = {
    "orders": [[1, 0, 0]],
    "seasonal_order": [0, 0, 0, 0],
    "weekday_regressors": True,
    "max_history_days": 120,
}


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    return make_series({0: 200, 4: 160})


def _model(series: pd.DataFrame, kind: str, params: dict) -> RegisteredModel:
    forecaster = build_forecaster(kind, params).fit(series)
    rng = np.random.default_rng(1)
    errors = pd.DataFrame(
        {"Battery_ID": np.repeat([0, 4], 40), "y_true": rng.normal(0.1, 0.005, 80), "y_pred": 0.1}
    )
    example = future_frame(series, 1).assign(Daily_Trip_Duration=50.0)
    model = BatteryCyclesModel(forecaster, error_quantiles(errors), example, kind)
    return RegisteredModel("battery-cycles", "7", None, ("champion",), model)


@pytest.fixture(scope="module")
def duration_model(series: pd.DataFrame) -> RegisteredModel:
    features = {"lags": [30, 35], "windows": [7], "rate_window": 14}
    return _model(
        series,
        "regression",
        {"estimator": "sklearn.linear_model.Ridge", "alpha": 0.1, "features": features},
    )


def test_future_covariates_continue_the_calendar_and_forecast_duration(
    series: pd.DataFrame, duration_model: RegisteredModel
) -> None:
    future = build_future_covariates(series, duration_model, 30, ARIMA)
    assert future.groupby("Battery_ID").size().to_dict() == {0: 30, 4: 30}
    assert future.notna().all().all()
    bounds = future[
        [
            "duration_lower_95",
            "duration_lower_80",
            "Daily_Trip_Duration",
            "duration_upper_80",
            "duration_upper_95",
        ]
    ]
    assert (np.diff(bounds.to_numpy(), axis=1) >= 0).all()
    # The weekly pattern of the synthetic drivers comes through the weekday regressors.
    weekend = future["Date"].dt.dayofweek >= 5
    assert (
        future.loc[weekend, "Daily_Trip_Duration"].mean()
        < 0.7 * future.loc[~weekend, "Daily_Trip_Duration"].mean()
    )


def test_forecasts_have_30_rows_per_battery_and_ordered_intervals(
    series: pd.DataFrame, duration_model: RegisteredModel
) -> None:
    future = build_future_covariates(series, duration_model, 30, ARIMA)
    forecasts = score_batteries(duration_model, future)
    assert forecasts.groupby("Battery_ID").size().to_dict() == {0: 30, 4: 30}
    ordered = forecasts[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    # A forecast duration widens the intervals beyond the model's own errors.
    assert forecasts["model_name"].eq("battery-cycles").all()
    assert forecasts["model_version"].eq("7").all()
    known = duration_model.predict(
        future.drop(columns=[c for c in future if c.startswith("duration_")])
    )
    assert (
        (forecasts["upper_95"] - forecasts["lower_95"]) > (known["upper_95"] - known["lower_95"])
    ).all()


def test_a_model_without_trip_duration_needs_no_duration_forecast(series: pd.DataFrame) -> None:
    model = _model(series, "seasonal_naive", {"season": 7})
    future = build_future_covariates(series, model, 30, ARIMA)
    assert future["Daily_Trip_Duration"].isna().all()
    forecasts = score_batteries(model, future)
    assert len(forecasts) == 60
    assert (forecasts["upper_80"] >= forecasts["lower_80"]).all()


def test_plot_has_one_panel_per_battery(
    series: pd.DataFrame, duration_model: RegisteredModel
) -> None:
    forecasts = score_batteries(
        duration_model, build_future_covariates(series, duration_model, 30, ARIMA)
    )
    figure = plot_forecasts(series, forecasts, history_days=60, columns=4)
    assert [ax.get_title() for ax in figure.axes if ax.get_visible()] == ["battery 0", "battery 4"]


def test_duration_of_a_driver_without_trend_is_forecast_by_its_weekday_means(
    series: pd.DataFrame, duration_model: RegisteredModel
) -> None:
    # The synthetic durations are noise around a weekly pattern: of a local level and a
    # mean (+ weekdays), the mean fits with the smaller one-step error and is chosen.
    arima = {**ARIMA, "orders": [[0, 1, 1], [0, 0, 0]], "max_history_days": 140}
    future = build_future_covariates(series, duration_model, 28, arima)
    recent = series.groupby("Battery_ID").tail(140)
    weekday = recent.groupby([recent["Battery_ID"], recent["Date"].dt.dayofweek])
    expected = weekday["Daily_Trip_Duration"].mean()
    keys = pd.MultiIndex.from_arrays([future["Battery_ID"], future["Date"].dt.dayofweek])
    np.testing.assert_allclose(future["Daily_Trip_Duration"], expected.loc[keys], rtol=1e-6)
    width = future["duration_upper_95"] - future["duration_lower_95"]
    noise = (recent["Daily_Trip_Duration"] - weekday["Daily_Trip_Duration"].transform("mean")).std()
    assert (width < 5 * noise).all()  # a random walk's intervals would widen with the days
