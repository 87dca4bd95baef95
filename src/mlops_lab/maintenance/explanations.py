"""SHAP explanations of the car-maintenance model: global importance and single visits.

The model is a scikit-learn pipeline (one-hot categories, then a learner). SHAP values
are computed on the learner's inputs (``car_make_Manufacturer_1``, ``age_at_visit_days``,
...) in log-odds: a tree explainer for gradient boosting, a linear one for logistic
regression. They travel between nodes as a table (one row per explained visit: the
input values, their SHAP values, the base value), and the figures are SHAP's standard
plots drawn from it: bar (mean |SHAP|), beeswarm, and a waterfall for the visit with
the highest predicted probability.

A model SHAP cannot explain (the majority baseline: a constant) is not an error: the
table is empty and its ``method`` says why, and the report shows that sentence.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.reporting import shap_plots
from mlops_lab.reporting.shap_plots import SHAP, explained, explanation

__all__ = ["SHAP", "explained", "explanation", "shap_figures", "shap_table"]

logger = logging.getLogger(__name__)


def shap_table(python_model: Any, features: pd.DataFrame, n_rows: int, seed: int) -> pd.DataFrame:
    """SHAP values of ``n_rows`` visits (seeded sample) for the model's learner.

    Returns:
        ``value:<input>``, ``shap:<input>``, ``base_value``, ``probability`` and
        ``method`` (the explainer) columns; for a model SHAP cannot explain, one row
        whose ``method`` says why.

    Raises:
        ValueError: when the learner is of a kind this module does not explain.
    """
    import shap
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    estimator = python_model.estimator
    transform, learner = estimator[:-1], estimator[-1]
    sample = features.sample(n=min(n_rows, len(features)), random_state=seed)
    x = transform.transform(sample[python_model.framing["features"]])
    names = list(transform.get_feature_names_out())
    if isinstance(learner, DummyClassifier):
        reason = "none: the majority baseline predicts a constant"
        logger.warning("No SHAP explanation: %s", reason)
        return pd.DataFrame({"method": [reason]})
    if isinstance(learner, HistGradientBoostingClassifier):
        explainer, method = shap.TreeExplainer(learner), "shap TreeExplainer (log-odds)"
    elif isinstance(learner, LogisticRegression):
        explainer, method = shap.LinearExplainer(learner, x), "shap LinearExplainer (log-odds)"
    else:
        raise ValueError(f"No SHAP explainer for a {type(learner).__name__} learner.")
    values = np.asarray(explainer.shap_values(x))
    if values.ndim == 3:  # (rows, inputs, classes): the positive class
        values = values[..., 1]
    base = np.ravel(explainer.expected_value)[-1]
    probability = estimator.predict_proba(sample[python_model.framing["features"]])[:, 1]
    table = shap_plots.shap_frame(x, values, names, base)
    table = table.assign(probability=probability, method=method)
    logger.info("SHAP values of %d visits (%s)", len(table), method)
    return table


def shap_figures(table: pd.DataFrame) -> dict[str, Figure]:
    """SHAP's bar, beeswarm and waterfall plots (the visit with the highest probability)."""
    top = int(np.argmax(table["probability"].to_numpy()))
    figures = shap_plots.shap_figures(table, [top])
    return {
        "bar": figures["bar"],
        "beeswarm": figures["beeswarm"],
        "waterfall": figures[f"waterfall_{top}"],
    }
