"""SHAP explanations of a ``battery-cycles`` model: global importance and single forecasts.

The explained part is the model's regression (its heaviest regression member if it is an
ensemble: the table says which), on the first block of the days it forecasts directly
(``min_lag`` days, before forecasts are fed back as lags). SHAP values come from a
linear explainer for linear regressors and a tree explainer for tree models, on the
regressor's standardised inputs; the table keeps the unscaled feature values, so the
plots read in the features' own units. Values are in cycles per day.

A statistical model (naive, seasonal, ARIMA, exponential smoothing) has no features:
that is logged and the table's ``method`` says so, and the report shows that sentence.
A regressor SHAP has no explainer for, or an explainer that fails, is an error.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery.candidates import Regression
from mlops_lab.battery.features import make_features
from mlops_lab.battery.model import BatteryCyclesModel, future_frame
from mlops_lab.battery.schema import BATTERY_ID, DATE, DURATION
from mlops_lab.reporting import shap_plots

logger = logging.getLogger(__name__)

NO_FEATURES = "none: a statistical model has no features to explain"


def explained_regression(model: BatteryCyclesModel) -> tuple[Regression | None, str]:
    """``(regression, what)``: the regression the model forecasts with and a description.

    The regression is the model itself or its heaviest ensemble member; None for a
    statistical model.
    """
    forecaster = model.forecaster
    if isinstance(forecaster, Regression):
        return forecaster, "the model itself"
    members = getattr(forecaster, "members", [])
    weights = getattr(forecaster, "weights", [])
    regressions = [
        (float(w), m) for w, m in zip(weights, members, strict=False) if isinstance(m, Regression)
    ]
    if not regressions:
        return None, "no regression member"
    weight, member = max(regressions, key=lambda pair: pair[0])
    others = len(members) - 1
    return member, (
        f"its heaviest regression member ({member.estimator.rsplit('.', 1)[-1]}, weight "
        f"{weight:.2f}; {others} other member(s) not explained)"
    )


def _explainer(estimator: Any, background: np.ndarray) -> tuple[str, Any]:
    import shap

    if hasattr(estimator, "coef_"):
        return "shap-linear", shap.LinearExplainer(estimator, background)
    if hasattr(estimator, "tree_") or hasattr(estimator, "estimators_"):
        return "shap-tree", shap.TreeExplainer(estimator)
    if type(estimator).__name__.startswith("HistGradientBoosting"):
        return "shap-tree", shap.TreeExplainer(estimator)
    raise ValueError(
        f"No SHAP explainer for a {type(estimator).__name__} regressor; "
        "battery_forecasting explains linear and tree regressors."
    )


def shap_table(model: BatteryCyclesModel, horizon: int) -> pd.DataFrame:
    """SHAP values of the model's direct forecasts of the next ``horizon`` days.

    The future trip duration is each battery's recent mean (as in the forecasts the
    batch scoring makes without known durations).

    Returns:
        One row per explained battery-day: ``Battery_ID``, ``Date``, ``forecast`` (of
        the explained regression), ``value:<feature>``, ``shap:<feature>``,
        ``base_value``, ``method`` and ``explained`` (which part of the model); for a
        statistical model one row whose ``method`` says why there is none.

    Raises:
        ValueError: for a regressor SHAP has no explainer for.
    """
    regression, what = explained_regression(model)
    if regression is None:
        logger.warning("No SHAP explanation of %s: %s", model.description, NO_FEATURES)
        return pd.DataFrame({"method": [NO_FEATURES], "explained": [model.description]})
    tail = regression.history_tail
    future = future_frame(tail, horizon)
    if DURATION in tail:
        future[DURATION] = future[BATTERY_ID].map(tail.groupby(BATTERY_ID)[DURATION].mean())
    frame, steps = regression.design(future)
    features = make_features(frame, regression.spec).loc["future"]
    x = features.loc[steps.index[steps <= regression.spec.min_lag]]
    scaled = regression.model_[:-1].transform(x.to_numpy())
    method, explainer = _explainer(regression.model_[-1], scaled)
    values = np.asarray(explainer.shap_values(scaled))
    base = float(np.ravel(explainer.expected_value)[0])
    table = shap_plots.shap_frame(x.to_numpy(), values, list(x.columns), base)
    table.insert(0, BATTERY_ID, future.loc[x.index, BATTERY_ID].to_numpy())
    table.insert(1, DATE, future.loc[x.index, DATE].dt.strftime("%Y-%m-%d").to_numpy())
    table.insert(2, "forecast", regression.model_.predict(x.to_numpy()))
    table = table.assign(method=method, explained=f"{model.description}: {what}")
    logger.info(
        "SHAP values (%s) of %d forecasts of %d batteries: %s",
        method,
        len(table),
        table[BATTERY_ID].nunique(),
        what,
    )
    return table


def global_importance(table: pd.DataFrame) -> pd.DataFrame:
    """Mean |SHAP value| per feature, largest first (``feature``, ``importance``, ``method``).

    For a table without SHAP values, one row with the reason in ``method``.
    """
    if not shap_plots.explained(table):
        return table[["method"]].assign(feature="", importance=np.nan)
    columns = [c for c in table.columns if str(c).startswith(shap_plots.SHAP)]
    importance = table[columns].abs().mean().sort_values(ascending=False)
    return pd.DataFrame(
        {
            "feature": [c.removeprefix(shap_plots.SHAP) for c in importance.index],
            "importance": importance.to_numpy(),
            "method": table["method"].iloc[0],
        }
    )


def local_rows(table: pd.DataFrame, n_local: int) -> list[int]:
    """Rows explained one by one: the first forecast day of the first ``n_local`` batteries."""
    if not shap_plots.explained(table):
        return []
    first = table.reset_index(drop=True).groupby(BATTERY_ID, sort=True).head(1)
    return [int(i) for i in first.index[:n_local]]


def _reason_figure(reason: str) -> Figure:
    figure = Figure(figsize=(6, 1.2))
    figure.text(0.02, 0.5, f"No SHAP explanation: {reason}", va="center", fontsize=10)
    return figure


def figures(table: pd.DataFrame, n_local: int) -> dict[str, Figure]:
    """SHAP's ``bar``, ``beeswarm`` and one ``waterfall`` (the first local row).

    For a table without SHAP values, three figures that say why there are none.
    """
    if not shap_plots.explained(table):
        reason = str(table["method"].iloc[0])
        return {name: _reason_figure(reason) for name in ("bar", "beeswarm", "waterfall")}
    rows = local_rows(table, n_local)[:1]
    drawn = shap_plots.shap_figures(table, rows)
    return {
        "bar": drawn["bar"],
        "beeswarm": drawn["beeswarm"],
        "waterfall": drawn[f"waterfall_{rows[0]}"],
    }
