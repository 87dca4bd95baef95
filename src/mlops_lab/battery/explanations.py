"""Explanations of a ``battery-cycles`` model: global importance and local contributions.

SHAP values for linear and tree regressors (permutation importance otherwise) of the
model's regression part (its largest regression member if it is an ensemble), on the
first block of days it forecasts directly. Statistical models have no features.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery.candidates import Regression
from mlops_lab.battery.features import make_features
from mlops_lab.battery.model import BatteryCyclesModel, future_frame
from mlops_lab.battery.schema import BATTERY_ID, DATE, DURATION

logger = logging.getLogger(__name__)

LOCAL_COLUMNS = ["row", BATTERY_ID, DATE, "feature", "value", "contribution"]


@dataclass(frozen=True)
class Explanation:
    """Global importance (``feature``, ``importance``, ``method``) and local contributions."""

    global_table: pd.DataFrame
    local_table: pd.DataFrame
    method: str


def explained_regression(model: BatteryCyclesModel) -> Regression | None:
    """The regression the model forecasts with: itself, or its heaviest ensemble member."""
    forecaster = model.forecaster
    if isinstance(forecaster, Regression):
        return forecaster
    members = getattr(forecaster, "members", [])
    weights = getattr(forecaster, "weights", [])
    regressions = [
        (w, m) for w, m in zip(weights, members, strict=False) if isinstance(m, Regression)
    ]
    return max(regressions, key=lambda pair: pair[0])[1] if regressions else None


def shap_values(estimator: Any, x: np.ndarray) -> tuple[str, np.ndarray | None]:
    """``(method, values)``: SHAP values of a linear or tree estimator, else ``(..., None)``.

    A SHAP failure is logged and reported as method ``permutation`` (never silent: the
    method is written into the explanation table).
    """
    import shap

    try:
        if hasattr(estimator, "coef_"):
            return "shap-linear", shap.LinearExplainer(estimator, x).shap_values(x)
        if hasattr(estimator, "tree_") or hasattr(estimator, "estimators_"):
            return "shap-tree", shap.TreeExplainer(estimator).shap_values(x, check_additivity=False)
    except Exception as error:  # fall back to permutation importance
        logger.warning("SHAP failed (%s); using permutation importance", error)
    return "permutation", None


def explain(model: BatteryCyclesModel, horizon: int, n_local: int, seed: int) -> Explanation | None:
    """Explain the model's next ``horizon`` days; None when it has no regression part.

    The future trip duration is taken as each battery's recent mean.
    """
    regression = explained_regression(model)
    if regression is None:
        return None
    tail = regression.history_tail
    future = future_frame(tail, horizon)
    if DURATION in tail:
        future[DURATION] = future[BATTERY_ID].map(tail.groupby(BATTERY_ID)[DURATION].mean())
    frame, steps = regression.design(future)
    features = make_features(frame, regression.spec).loc["future"]
    x = features.loc[steps.index[steps <= regression.spec.min_lag]]
    scaled = regression.model_[:-1].transform(x.to_numpy())
    method, values = shap_values(regression.model_[-1], scaled)
    if values is None:
        from sklearn.inspection import permutation_importance

        y_hat = regression.model_.predict(x.to_numpy())
        result = permutation_importance(
            regression.model_, x.to_numpy(), y_hat, n_repeats=5, random_state=seed
        )
        importance = pd.Series(result.importances_mean, index=x.columns)
        local = pd.DataFrame(columns=LOCAL_COLUMNS)
    else:
        importance = pd.Series(np.abs(values).mean(axis=0), index=x.columns)
        picks = np.random.default_rng(seed).choice(len(x), size=min(n_local, len(x)), replace=False)
        local = pd.DataFrame(
            [
                {
                    "row": int(i),
                    BATTERY_ID: int(future.loc[x.index[i], BATTERY_ID]),
                    DATE: str(future.loc[x.index[i], DATE].date()),
                    "feature": name,
                    "value": float(x.iloc[i][name]),
                    "contribution": float(values[i, j]),
                }
                for i in sorted(picks)
                for j, name in enumerate(x.columns)
            ],
            columns=LOCAL_COLUMNS,
        )
    global_table = (
        importance.sort_values(ascending=False)
        .rename("importance")
        .rename_axis("feature")
        .reset_index()
    )
    global_table["method"] = method
    return Explanation(global_table, local, method)


def importance_figure(table: pd.DataFrame, title: str) -> Figure:
    """Horizontal bars of the 15 most important features."""
    top = table.head(15).iloc[::-1]
    figure, ax = plt.subplots(figsize=(7, 4.5))
    ax.barh(top["feature"], top["importance"])
    ax.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure


def local_figure(local: pd.DataFrame) -> Figure:
    """One panel per explained forecast: its 8 largest contributions."""
    rows = sorted(local["row"].unique()) if len(local) else []
    figure, axes = plt.subplots(
        1, max(len(rows), 1), figsize=(3.6 * max(len(rows), 1), 4), squeeze=False
    )
    for ax, row in zip(axes.flat, rows, strict=False):
        part = local[local["row"] == row]
        part = part.reindex(part["contribution"].abs().sort_values().index).tail(8)
        ax.barh(
            part["feature"],
            part["contribution"],
            color=np.where(part["contribution"] > 0, "tab:red", "tab:blue"),
        )
        ax.set_title(f"battery {part[BATTERY_ID].iloc[0]}, {part[DATE].iloc[0]}", fontsize=8)
        ax.tick_params(labelsize=7)
    figure.suptitle("Local explanations: SHAP contributions to single forecasts")
    figure.tight_layout()
    return figure
