"""Nodes of ``battery_batch_scoring``: future covariates, forecasts with intervals, plot."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery.model import future_frame
from mlops_lab.battery.plots import battery_panels, finish_panels
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, DURATION
from mlops_lab.registry import RegisteredModel

logger = logging.getLogger(__name__)

DURATION_BOUNDS = (
    "duration_lower_95",
    "duration_lower_80",
    "duration_upper_80",
    "duration_upper_95",
)


def _weekday_dummies(dates: pd.Series) -> np.ndarray:
    """Day-of-week indicators (Monday as reference): the weekly pattern as known regressors."""
    day = pd.DatetimeIndex(dates).dayofweek.to_numpy()
    return (day[:, None] == np.arange(1, 7)[None, :]).astype(float)


def _fit_duration_model(
    y: np.ndarray, x: np.ndarray | None, order: list[int], arima: dict[str, Any]
) -> Any:
    from statsforecast.models import ARIMA

    *seasonal, season = arima["seasonal_order"]
    model = ARIMA(
        order=tuple(order),
        seasonal_order=tuple(seasonal) if season else (0, 0, 0),
        season_length=max(int(season), 1),
        include_mean=order[1] == 0,
        method=arima.get("method", "CSS-ML"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(y, X=x)


def _duration_forecast(
    history: pd.DataFrame, future_dates: pd.Series, arima: dict[str, Any]
) -> pd.DataFrame:
    """ARIMA forecast (statsforecast) of one battery's trip duration, with 80% / 95% bounds.

    Of the configured ``orders``, the one with the smallest one-step error variance in
    the fit (``sigma2``) forecasts: a local level for a drifting driver, a mean for one
    whose driving is noise around a level (where the local level's fit fails).
    """
    recent = history.tail(arima["max_history_days"])
    weekly = arima.get("weekday_regressors", True)
    y = recent[DURATION].to_numpy(dtype=float)
    x = _weekday_dummies(recent[DATE]) if weekly else None
    fits = [_fit_duration_model(y, x, order, arima) for order in arima["orders"]]
    model = min(fits, key=lambda fitted: float(fitted.model_["sigma2"]))
    forecast = model.predict(
        len(future_dates), X=_weekday_dummies(future_dates) if weekly else None, level=[80, 95]
    )
    return pd.DataFrame(
        {
            DURATION: forecast["mean"],
            "duration_lower_95": forecast["lo-95"],
            "duration_lower_80": forecast["lo-80"],
            "duration_upper_80": forecast["hi-80"],
            "duration_upper_95": forecast["hi-95"],
        }
    ).clip(lower=0.0)


def build_future_covariates(
    series: pd.DataFrame, model: RegisteredModel, horizon: int, arima: dict[str, Any]
) -> pd.DataFrame:
    """The next ``horizon`` days of every battery with the covariates the model needs.

    Dates and ``Battery_Age_Days`` follow from the calendar. ``Daily_Trip_Duration`` is
    forecast per battery with ARIMA (statsforecast; the lab used ARIMA), with its 80% /
    95% bounds, when the model uses it; otherwise it is left missing.

    Args:
        series: The daily series the model was refitted on.
        model: The registered model to score with (``battery_cycles_champion``).
        horizon: Days to forecast.
        arima: ``orders`` (tried per battery, see :func:`_duration_forecast`),
            ``seasonal_order``, ``method``, ``max_history_days`` and
            ``weekday_regressors`` (day-of-week indicators as exogenous regressors) of
            the duration model.
    """
    future = future_frame(series, horizon)
    if DURATION not in model.python_model.covariates:
        logger.info("The model does not use %s: no duration forecast", DURATION)
        return future
    history = series.sort_values(DATE)
    parts = [
        _duration_forecast(
            history[history[BATTERY_ID] == battery_id], group[DATE], arima
        ).set_index(group.index)
        for battery_id, group in future.groupby(BATTERY_ID)
    ]
    future = future.drop(columns=DURATION).join(pd.concat(parts))
    logger.info(
        "Forecast %s of %d batteries for %d days", DURATION, future[BATTERY_ID].nunique(), horizon
    )
    return future


def score_batteries(model: RegisteredModel, future: pd.DataFrame) -> pd.DataFrame:
    """Point forecasts with 80% / 95% prediction intervals for every future day.

    The model's own intervals cover its error when the trip duration is known; when the
    duration is itself forecast, the spread of the forecasts at the duration's bounds is
    added in quadrature (independent errors), so the intervals widen accordingly. Every
    row names the registered model and version that made it.
    """
    records = future[[c for c in future.columns if c not in DURATION_BOUNDS]]
    output = model.predict(records)
    if DURATION in model.python_model.covariates and set(DURATION_BOUNDS) <= set(future.columns):
        for level in (80, 95):
            low = model.predict(records.assign(**{DURATION: future[f"duration_lower_{level}"]}))[
                "forecast"
            ]
            high = model.predict(records.assign(**{DURATION: future[f"duration_upper_{level}"]}))[
                "forecast"
            ]
            spread = np.abs(high.to_numpy() - low.to_numpy()) / 2
            for side, sign in (("lower", -1), ("upper", 1)):
                column = f"{side}_{level}"
                model_width = np.abs(output[column] - output["forecast"])
                output[column] = output["forecast"] + sign * np.sqrt(model_width**2 + spread**2)
    output["model"] = model.python_model.description
    output["model_name"] = model.name
    output["model_version"] = model.version
    logger.info("Scored %d battery-days with %s v%s", len(output), model.name, model.version)
    return output


def plot_forecasts(
    series: pd.DataFrame, forecasts: pd.DataFrame, history_days: int, columns: int
) -> Figure:
    """Recent history and the forecast with its intervals, one panel per battery."""
    figure, panels = battery_panels(forecasts[BATTERY_ID].unique(), columns)
    for battery_id, ax in panels:
        history = series[series[BATTERY_ID] == battery_id].sort_values(DATE).tail(history_days)
        future = forecasts[forecasts[BATTERY_ID] == battery_id].sort_values(DATE)
        ax.plot(history[DATE], history[CYCLES], color="black", lw=0.8, label="history")
        for level, alpha in ((95, 0.2), (80, 0.35)):
            lower, upper = future[f"lower_{level}"], future[f"upper_{level}"]
            ax.fill_between(
                future[DATE], lower, upper, alpha=alpha, color="tab:orange", label=f"{level}%"
            )
        ax.plot(future[DATE], future["forecast"], color="tab:orange", lw=1, label="forecast")
    days = forecasts.groupby(BATTERY_ID).size().max()
    return finish_panels(figure, f"{CYCLES}: next {days} days", legend_size=6)
