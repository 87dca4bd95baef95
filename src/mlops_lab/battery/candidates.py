"""Forecasting candidates behind one interface: ``fit(history)``, ``predict(future)``.

``history`` has one row per battery and consecutive day (``Date``, ``Battery_ID``, the
covariates, ``Daily_Cycles_Used``); ``future`` has the days to forecast, which follow
each battery's history without gaps. Statistical candidates fit one statsforecast
(Nixtla) model per battery; regression candidates fit one global model on engineered
features of every battery.

Adding a candidate: a scikit-learn regressor is a parameter change only (``kind:
regression`` with its import path); anything else is one small class registered in
:data:`CANDIDATE_KINDS`.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlops_lab.battery.features import FeatureSpec, make_features
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, DURATION

logger = logging.getLogger(__name__)


class ForecastInputError(ValueError):
    """The days to forecast do not follow a battery's history."""


def steps_ahead(history: pd.DataFrame, future: pd.DataFrame) -> pd.Series:
    """Days between each future row and the end of its battery's history (1 = next day).

    Raises:
        ForecastInputError: A battery is unknown, or its future days do not follow its
            history day after day.
    """
    last_day = history.groupby(BATTERY_ID)[DATE].max()
    unknown = sorted(set(future[BATTERY_ID]) - set(last_day.index))
    if unknown:
        raise ForecastInputError(
            f"No history for battery {unknown[0]}; known batteries: {list(last_day.index)}."
        )
    steps = (future[DATE] - future[BATTERY_ID].map(last_day)).dt.days
    for battery_id, group in steps.groupby(future[BATTERY_ID]):
        expected = np.arange(1, len(group) + 1)
        if not np.array_equal(np.sort(group.to_numpy()), expected):
            raise ForecastInputError(
                f"Battery {battery_id}: the days to forecast must be the {len(group)} consecutive "
                f"days after its last known day {last_day.loc[battery_id].date()}, found steps "
                f"{sorted(group.tolist())[:5]}..."
            )
    return steps


class Forecaster:
    """Base class: every candidate fits on history and forecasts the following days."""

    covariates: tuple[str, ...] = ()

    def fit(self, history: pd.DataFrame) -> Forecaster:
        raise NotImplementedError

    def predict(self, future: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError


class PerBatteryForecaster(Forecaster):
    """A model per battery on the target alone (plus covariates if the subclass uses them)."""

    def __init__(self, max_history_days: int | None = None) -> None:
        self.max_history_days = max_history_days

    def fit(self, history: pd.DataFrame) -> PerBatteryForecaster:
        self._history = history
        self._states = {}
        for battery_id, group in history.groupby(BATTERY_ID, sort=True):
            if self.max_history_days:
                group = group.iloc[-self.max_history_days :]
            self._states[battery_id] = self._fit_one(group)
        return self

    def predict(self, future: pd.DataFrame) -> np.ndarray:
        steps = steps_ahead(self._history, future)
        forecast = pd.Series(np.nan, index=future.index)
        for battery_id, group in future.groupby(BATTERY_ID):
            ordered = group.loc[steps.loc[group.index].sort_values().index]
            values = self._predict_one(self._states[battery_id], ordered)
            forecast.loc[ordered.index] = values
        return forecast.to_numpy()

    def _fit_one(self, history: pd.DataFrame) -> Any:
        raise NotImplementedError

    def _predict_one(self, state: Any, future: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError


class StatsForecastModel(PerBatteryForecaster):
    """A statsforecast (Nixtla) model per battery; subclasses say which (:meth:`_model`).

    The known covariates, when the model takes any, are its exogenous regressors: their
    values on the days to forecast must be in ``future``.
    """

    def _model(self) -> Any:
        raise NotImplementedError

    def _exog(self, frame: pd.DataFrame) -> np.ndarray | None:
        return frame[list(self.covariates)].to_numpy(dtype=float) if self.covariates else None

    def _fit_one(self, history: pd.DataFrame) -> Any:
        model = self._model()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(history[CYCLES].to_numpy(dtype=float), X=self._exog(history))

    def _predict_one(self, state: Any, future: pd.DataFrame) -> np.ndarray:
        return np.asarray(state.predict(len(future), X=self._exog(future))["mean"], dtype=float)


class Naive(StatsForecastModel):
    """Last observed value."""

    def _model(self) -> Any:
        from statsforecast.models import Naive as NaiveModel

        return NaiveModel()


class SeasonalNaive(StatsForecastModel):
    """Value of the same day of the last season (weekly by default)."""

    def __init__(self, season: int = 7, max_history_days: int | None = None) -> None:
        super().__init__(max_history_days)
        self.season = season

    def _model(self) -> Any:
        from statsforecast.models import SeasonalNaive as SeasonalNaiveModel

        return SeasonalNaiveModel(season_length=self.season)


class Average(StatsForecastModel):
    """Mean of the last ``window`` days (all history when ``window`` is None)."""

    def __init__(self, window: int | None = None, max_history_days: int | None = None) -> None:
        super().__init__(max_history_days)
        self.window = window

    def _model(self) -> Any:
        from statsforecast.models import HistoricAverage, WindowAverage

        return WindowAverage(window_size=self.window) if self.window else HistoricAverage()


class SeasonalAverage(StatsForecastModel):
    """Mean of the same day of the week over the last ``window`` days (whole weeks)."""

    def __init__(
        self, window: int = 91, season: int = 7, max_history_days: int | None = None
    ) -> None:
        super().__init__(max_history_days)
        if window % season:
            raise ValueError(
                f"seasonal_average: window {window} must be whole seasons of {season} days."
            )
        self.window, self.season = window, season

    def _model(self) -> Any:
        from statsforecast.models import SeasonalWindowAverage

        return SeasonalWindowAverage(
            season_length=self.season, window_size=self.window // self.season
        )


class Arima(StatsForecastModel):
    """(S)ARIMA per battery (statsforecast), known covariates as exogenous regressors.

    Args:
        order: ``(p, d, q)``.
        seasonal_order: ``(P, D, Q, season)``; a season of 0 means none.
        covariates: Known covariates used as regressors.
        method: Estimation method: ``ML`` (exact maximum likelihood) by default, as
            statsforecast's own default ``CSS-ML`` failed to fit this data with the trip
            duration as a regressor.
        max_history_days: Fit on each battery's last days only.
    """

    def __init__(
        self,
        order: tuple[int, int, int] = (1, 0, 1),
        seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0),
        covariates: tuple[str, ...] = (),
        method: str = "ML",
        max_history_days: int | None = 365,
    ) -> None:
        super().__init__(max_history_days)
        self.order = tuple(order)
        self.seasonal_order = tuple(seasonal_order)
        self.covariates = tuple(covariates)
        self.method = method

    def _model(self) -> Any:
        from statsforecast.models import ARIMA

        *seasonal, season = self.seasonal_order
        return ARIMA(
            order=self.order,
            seasonal_order=tuple(seasonal) if season else (0, 0, 0),
            season_length=max(int(season), 1),
            include_mean=self.order[1] == 0,
            method=self.method,
        )


class ExponentialSmoothing(StatsForecastModel):
    """Exponential smoothing (ETS with additive errors) per battery (statsforecast).

    Args:
        trend: ``None`` or ``"add"``.
        seasonal: ``None`` or ``"add"``.
        seasonal_periods: Season length in days.
        damped_trend: Damp the additive trend.
        max_history_days: Fit on each battery's last days only.
    """

    def __init__(
        self,
        trend: str | None = None,
        seasonal: str | None = "add",
        seasonal_periods: int = 7,
        damped_trend: bool = False,
        max_history_days: int | None = 365,
    ) -> None:
        super().__init__(max_history_days)
        for name, value in (("trend", trend), ("seasonal", seasonal)):
            if value not in (None, "add"):
                raise ValueError(
                    f"exponential_smoothing: {name} must be null or 'add', got {value!r}."
                )
        self.trend, self.seasonal = trend, seasonal
        self.seasonal_periods, self.damped_trend = seasonal_periods, damped_trend

    def _model(self) -> Any:
        from statsforecast.models import AutoETS

        spec = "A" + ("A" if self.trend else "N") + ("A" if self.seasonal else "N")
        return AutoETS(
            season_length=self.seasonal_periods if self.seasonal else 1,
            model=spec,
            damped=bool(self.damped_trend and self.trend),
        )


def _import(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


class Regression(Forecaster):
    """One scikit-learn regressor on engineered features of every battery (a global model).

    Args:
        estimator: Import path of the regressor, e.g. ``sklearn.linear_model.ElasticNet``.
        features: Fields of :class:`~mlops_lab.battery.features.FeatureSpec`.
        max_history_days: Train on each battery's last days only (None: all).
        **params: Hyper-parameters of the regressor.
    """

    def __init__(
        self,
        estimator: str,
        features: dict[str, Any] | None = None,
        max_history_days: int | None = None,
        **params: Any,
    ) -> None:
        self.estimator, self.params, self.max_history_days = estimator, params, max_history_days
        self.spec = FeatureSpec(
            **{k: tuple(v) if isinstance(v, list) else v for k, v in (features or {}).items()}
        )
        self.covariates = self.spec.covariates

    def fit(self, history: pd.DataFrame) -> Regression:
        history = history.sort_values([BATTERY_ID, DATE])
        features = make_features(history, self.spec)
        usable = features.notna().all(axis=1) & history[CYCLES].notna()
        if self.max_history_days:
            recent = history.groupby(BATTERY_ID).cumcount(ascending=False) < self.max_history_days
            usable &= recent
        if not usable.any():
            raise ValueError(
                "No training row has all features: the history of a battery needs more than "
                f"{self.spec.memory} days."
            )
        self.feature_names_ = list(features.columns)
        self.model_ = make_pipeline(StandardScaler(), _import(self.estimator)(**self.params))
        self.model_.fit(features.loc[usable].to_numpy(), history.loc[usable, CYCLES].to_numpy())
        columns = [DATE, BATTERY_ID, CYCLES, *self.spec.covariates]
        self._tail = history.groupby(BATTERY_ID).tail(self.spec.memory)[columns]
        return self

    @property
    def history_tail(self) -> pd.DataFrame:
        """The last days of history kept to build the features of the days to forecast."""
        return self._tail

    def design(self, future: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
        """(feature table of ``future`` with history attached, steps ahead); for explanations."""
        steps = steps_ahead(self._tail, future)
        frame = pd.concat(
            [
                self._tail,
                future[[DATE, BATTERY_ID, *self.spec.covariates]].assign(**{CYCLES: np.nan}),
            ],
            keys=["history", "future"],
        )
        return frame.sort_values([BATTERY_ID, DATE]), steps

    def predict(self, future: pd.DataFrame) -> np.ndarray:
        frame, steps = self.design(future)
        block = self.spec.min_lag
        forecast = pd.Series(np.nan, index=future.index)
        for start in range(0, int(steps.max()), block):  # feed forecasts back block by block
            features = make_features(frame, self.spec).loc["future"]
            rows = steps.index[(steps > start) & (steps <= start + block)]
            values = self.model_.predict(features.loc[rows].to_numpy())
            forecast.loc[rows] = values
            frame.loc[[("future", row) for row in rows], CYCLES] = values
        return forecast.to_numpy()


class Ensemble(Forecaster):
    """Weighted average of member forecasts (soft voting)."""

    def __init__(self, members: list[Forecaster], weights: list[float]) -> None:
        self.members, self.weights = members, np.asarray(weights, dtype=float) / np.sum(weights)
        self.covariates = tuple(sorted({c for m in members for c in m.covariates}))

    def fit(self, history: pd.DataFrame) -> Ensemble:
        for member in self.members:
            member.fit(history)
        return self

    def predict(self, future: pd.DataFrame) -> np.ndarray:
        return np.sum(
            [w * m.predict(future) for w, m in zip(self.weights, self.members, strict=True)], axis=0
        )


CANDIDATE_KINDS: dict[str, type[Forecaster]] = {
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "average": Average,
    "seasonal_average": SeasonalAverage,
    "arima": Arima,
    "exponential_smoothing": ExponentialSmoothing,
    "regression": Regression,
}
"""Candidate kinds by the name used in ``parameters_battery_forecasting.yml``."""

BASELINE_KINDS = ("naive", "seasonal_naive", "average", "seasonal_average")
"""Kinds that count as naive baselines."""


def build_forecaster(kind: str, params: dict[str, Any]) -> Forecaster:
    """Instantiate a candidate from its kind and (fixed + searched) parameters."""
    if kind not in CANDIDATE_KINDS:
        raise ValueError(
            f"Unknown candidate kind {kind!r}; known kinds: {sorted(CANDIDATE_KINDS)}."
        )
    return CANDIDATE_KINDS[kind](**params)


def forecaster_from_spec(spec: dict[str, Any]) -> Forecaster:
    """Rebuild a candidate (or an ensemble of candidates) from its leaderboard spec.

    A spec is ``{"kind": ..., "params": {...}}`` or ``{"kind": "ensemble", "members":
    [{"kind": ..., "params": {...}, "weight": w}, ...]}``.
    """
    if spec["kind"] == "ensemble":
        members = spec["members"]
        return Ensemble([forecaster_from_spec(m) for m in members], [m["weight"] for m in members])
    return build_forecaster(spec["kind"], spec["params"])


def uses_duration(forecaster: Forecaster) -> bool:
    """Whether forecasts need the future ``Daily_Trip_Duration``."""
    return DURATION in forecaster.covariates
