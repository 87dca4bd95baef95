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

logger = logging.getLogger(__name__)

VALUE, SHAP, BASE = "value:", "shap:", "base_value"


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
    table = pd.concat(
        [
            pd.DataFrame(np.asarray(x, dtype=float), columns=[VALUE + n for n in names]),
            pd.DataFrame(values, columns=[SHAP + n for n in names]),
        ],
        axis=1,
    )
    probability = estimator.predict_proba(sample[python_model.framing["features"]])[:, 1]
    table = table.assign(**{BASE: float(base), "probability": probability, "method": method})
    logger.info("SHAP values of %d visits (%s)", len(table), method)
    return table


def explained(table: pd.DataFrame) -> bool:
    """Whether the table holds SHAP values (else its ``method`` says why not)."""
    return any(c.startswith(SHAP) for c in table.columns)


def explanation(table: pd.DataFrame) -> Any:
    """The table as a ``shap.Explanation`` (values, base values, data, input names)."""
    import shap

    names = [c.removeprefix(SHAP) for c in table.columns if c.startswith(SHAP)]
    return shap.Explanation(
        values=table[[SHAP + n for n in names]].to_numpy(),
        base_values=table[BASE].to_numpy(),
        data=table[[VALUE + n for n in names]].to_numpy(),
        feature_names=names,
    )


def shap_figures(table: pd.DataFrame) -> dict[str, Figure]:
    """SHAP's bar, beeswarm and waterfall plots (the visit with the highest probability).

    SHAP draws on pyplot's current figure: each plot gets a fresh figure that is taken
    off pyplot's list before it is returned, so no pyplot state outlives the call.
    """
    import matplotlib.pyplot as plt
    import shap

    explained = explanation(table)
    figures = {}
    top = int(np.argmax(table["probability"].to_numpy()))
    drawings = {
        "bar": lambda: shap.plots.bar(explained, max_display=10, show=False),
        "beeswarm": lambda: shap.plots.beeswarm(explained, max_display=10, show=False),
        "waterfall": lambda: shap.plots.waterfall(explained[top], max_display=10, show=False),
    }
    for name, draw in drawings.items():
        figure = plt.figure()
        draw()
        figure = plt.gcf()
        figure.set_size_inches(8, 4.5)
        plt.close(figure)
        figures[name] = figure
    return figures
