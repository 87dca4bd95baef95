"""SHAP explanations of the maintenance model add up to its predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.maintenance.candidates import build_candidate
from mlops_lab.maintenance.explanations import SHAP, explained, shap_figures, shap_table
from mlops_lab.maintenance.model import CarMaintenanceModel

FEATURES = ["car_make", "age_at_visit_days"]
EXAMPLE = pd.DataFrame(
    {"car-make": ["A"], "date-bought-car": ["2015-01-01"], "date-of-visit": ["2016-01-01"]}
)


def _model(kind: str) -> tuple[CarMaintenanceModel, pd.DataFrame]:
    rng = np.random.default_rng(0)
    visits = pd.DataFrame(
        {"car_make": rng.choice(["A", "B"], 600), "age_at_visit_days": rng.integers(1, 3000, 600)}
    )
    y = (visits["age_at_visit_days"] < 700).astype(int)
    options = {"max_iter": 20} if kind == "gradient_boosting" else {}
    estimator = build_candidate("m", {"kind": kind, "options": options}, FEATURES, 0)
    estimator.fit(visits, y)
    framing = {"name": "t", "when": "at a visit", "features": FEATURES}
    return CarMaintenanceModel(estimator, framing, 0.5, EXAMPLE), visits


@pytest.mark.parametrize("kind", ["gradient_boosting", "logistic_regression"])
def test_shap_values_add_up_to_the_predicted_log_odds(kind: str):
    model, visits = _model(kind)
    table = shap_table(model, visits, 100, seed=1)
    assert len(table) == 100 and explained(table)
    log_odds = table[[c for c in table if c.startswith(SHAP)]].sum(axis=1) + table["base_value"]
    np.testing.assert_allclose(1 / (1 + np.exp(-log_odds)), table["probability"], atol=1e-6)
    age = table[SHAP + "age_at_visit_days"].abs().mean()
    assert age > 5 * table[SHAP + "car_make_A"].abs().mean()  # the age decides, not the make
    figures = shap_figures(table)
    assert set(figures) == {"bar", "beeswarm", "waterfall"}
    assert all(len(f.axes) >= 1 for f in figures.values())


def test_a_constant_model_has_no_explanation_and_says_why():
    model, visits = _model("majority")
    table = shap_table(model, visits, 50, seed=1)
    assert not explained(table)
    assert table["method"].iloc[0].startswith("none: the majority baseline")
