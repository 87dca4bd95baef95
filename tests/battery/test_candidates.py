"""Forecasting candidates: baselines by hand, input checks, no leakage of future rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.battery.candidates import (
    ForecastInputError,
    SeasonalNaive,
    build_forecaster,
    forecaster_from_spec,
)
from mlops_lab.battery.features import FeatureSpec, make_features
from mlops_lab.battery.splitting import split_last_days

REGRESSION = {
    "estimator": "sklearn.linear_model.Ridge",
    "alpha": 1.0,
    "features": {"lags": [30, 37], "windows": [7], "rate_window": 14},
}


def test_baselines_forecast_what_they_promise(series: pd.DataFrame) -> None:
    history, future = split_last_days(series, 10)
    last_week = history.groupby("Battery_ID")["Daily_Cycles_Used"].apply(
        lambda s: s.to_numpy()[-7:]
    )
    forecast = (
        SeasonalNaive(season=7).fit(history).predict(future.drop(columns="Daily_Cycles_Used"))
    )
    battery1 = forecast[future["Battery_ID"].to_numpy() == 1]
    np.testing.assert_array_equal(battery1, np.concatenate([last_week[1], last_week[1][:3]]))
    naive = build_forecaster("naive", {}).fit(history).predict(future)
    assert set(naive[future["Battery_ID"].to_numpy() == 2]) == {
        history[history["Battery_ID"] == 2]["Daily_Cycles_Used"].iloc[-1]
    }
    average = build_forecaster("average", {"window": 28}).fit(history).predict(future)
    expected = history[history["Battery_ID"] == 1]["Daily_Cycles_Used"].iloc[-28:].mean()
    assert average[0] == pytest.approx(expected)


def test_days_to_forecast_must_follow_the_history(series: pd.DataFrame) -> None:
    history, future = split_last_days(series, 10)
    forecaster = build_forecaster("naive", {}).fit(history)
    with pytest.raises(
        ForecastInputError, match="Battery 1: the days to forecast must be the 9 consecutive"
    ):
        forecaster.predict(future.drop(index=future.index[2]))
    with pytest.raises(ForecastInputError, match="No history for battery 9"):
        forecaster.predict(future.assign(Battery_ID=9))


def test_features_of_a_forecast_day_do_not_use_its_future(series: pd.DataFrame) -> None:
    spec = FeatureSpec(lags=(30, 37), windows=(7,), rate_window=14)
    masked = series.copy()
    future_rows = masked.groupby("Battery_ID").cumcount(ascending=False) < 30
    masked.loc[future_rows, "Daily_Cycles_Used"] = np.nan
    full = make_features(series, spec)[future_rows]
    blind = make_features(masked, spec)[future_rows]
    pd.testing.assert_frame_equal(full, blind)


def test_regression_forecasts_ignore_the_true_values_of_the_days_forecast(
    series: pd.DataFrame,
) -> None:
    history, future = split_last_days(series, 45)  # longer than the lag: fed back block by block
    forecaster = build_forecaster("regression", REGRESSION).fit(history)
    honest = forecaster.predict(future)
    leaked = forecaster.predict(future.assign(Daily_Cycles_Used=1e6))
    np.testing.assert_array_equal(honest, leaked)
    assert np.isfinite(honest).all()
    # The weekly pattern comes through the known trip duration.
    weekend = future["Date"].dt.dayofweek.to_numpy() >= 5
    assert honest[weekend].mean() < 0.7 * honest[~weekend].mean()


def test_ensemble_spec_averages_its_members(series: pd.DataFrame) -> None:
    history, future = split_last_days(series, 5)
    spec = {
        "kind": "ensemble",
        "members": [
            {"kind": "naive", "params": {}, "weight": 0.25},
            {"kind": "average", "params": {"window": None}, "weight": 0.75},
        ],
    }
    ensemble = forecaster_from_spec(spec).fit(history).predict(future)
    naive = build_forecaster("naive", {}).fit(history).predict(future)
    average = build_forecaster("average", {"window": None}).fit(history).predict(future)
    np.testing.assert_allclose(ensemble, 0.25 * naive + 0.75 * average)


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        (
            "arima",
            {"order": [1, 0, 0], "covariates": ["Daily_Trip_Duration"], "max_history_days": 90},
        ),
        ("exponential_smoothing", {"trend": None, "seasonal": "add", "max_history_days": 90}),
        ("seasonal_average", {"window": 56}),
    ],
)
def test_statistical_candidates_forecast_every_day(
    series: pd.DataFrame, kind: str, params: dict
) -> None:
    history, future = split_last_days(series, 30)
    forecast = build_forecaster(kind, params).fit(history).predict(future)
    assert forecast.shape == (60,)
    assert np.isfinite(forecast).all()
    assert 0 < forecast.mean() < 1
