"""The fairness machinery on data with a known answer: a planted disparity, and none.

Visits are generated with the maintenance feature columns. In the planted variant most
women drive one make and that make has more early issues: the model never sees gender,
but learns the make, so its selection rate differs by gender (hidden bias through a
proxy). In the fair variant make and gender are independent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.maintenance.candidates import build_candidate
from mlops_lab.maintenance.model import CarMaintenanceModel
from mlops_lab.pipelines.maintenance_fairness import nodes
from mlops_lab.registry import RegisteredModel

pytestmark = pytest.mark.slow  # fits ExponentiatedGradient (about 15 s)

FEATURES = ["car_make", "engine_type", "age_at_visit_days"]
GROUPS = {"attribute": "gender", "group": "Female", "reference": "Male"}
EVIDENCE = {"n_resamples": 300, "n_shuffles": 1000, "seed": 3}
MITIGATION = {
    "draws": 3,
    "exponentiated_gradient": {"max_iter": 5, "eps": 0.01, "base_learner": "model"},
}


def _visits(n: int, planted: bool, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    female = rng.random(n) < 0.5
    share_make_1 = np.where(female, 0.8, 0.2) if planted else np.full(n, 0.5)
    make = np.where(rng.random(n) < share_make_1, "Manufacturer_1", "Manufacturer_2")
    age = rng.integers(10, 3000, n)
    risk = np.where(make == "Manufacturer_1", 0.25, 0.04) if planted else np.full(n, 0.12)
    risk = risk * np.where(age < 800, 1.6, 0.7)
    visits = pd.DataFrame(
        {
            "record_id": np.arange(n),
            "car_make": make,
            "engine_type": rng.choice(["diesel", "petrol"], n),
            "age_at_visit_days": age,
            "car_age_years": age // 365,
            "has_issue_in_first_10k": (rng.random(n) < risk).astype(int),
        }
    )
    sensitive = pd.DataFrame(
        {"record_id": np.arange(n), "gender": np.where(female, "Female", "Male")}
    )
    return visits, sensitive


def _assessed(planted: bool, constraints: list[str]) -> tuple[dict, pd.DataFrame, dict]:
    visits, sensitive = _visits(3000, planted, seed=21)
    fit, validation, test = visits.iloc[:1200], visits.iloc[1200:1800], visits.iloc[1800:]
    estimator = build_candidate("lr", {"kind": "logistic_regression"}, FEATURES, 0)
    estimator.fit(fit[FEATURES], fit["has_issue_in_first_10k"])
    example = pd.DataFrame(
        {
            "car-make": ["Manufacturer_1"],
            "engine-type": ["diesel"],
            "date-bought-car": ["2015-01-01"],
            "date-of-visit": ["2016-01-01"],
        }
    )
    framing = {"name": "test", "when": "at a visit", "features": FEATURES}
    python_model = CarMaintenanceModel(estimator, framing, 0.5, example)
    model = RegisteredModel("car-maintenance", "1", None, ("challenger",), python_model)
    _, disparity = nodes.assess_model_fairness(model, test, sensitive, GROUPS, [0, 2, 4], EVIDENCE)
    variants = nodes.mitigate_model_disparity(
        model,
        fit,
        validation,
        test,
        sensitive,
        sensitive,
        GROUPS,
        {**MITIGATION, "constraints": constraints},
        EVIDENCE,
    )
    return disparity, variants, {"model": model, "fit": fit, "test": test, "sensitive": sensitive}


@pytest.fixture(scope="module")
def planted():
    return _assessed(planted=True, constraints=["demographic_parity", "equalized_odds"])


@pytest.fixture(scope="module")
def fair():
    return _assessed(planted=False, constraints=[])  # nothing to mitigate: not flagged


def test_a_planted_disparity_is_flagged(planted):
    disparity, _, _ = planted
    selection = disparity["signed"]["selection_rate"]
    assert disparity["comparison"] == "Female - Male"
    assert selection["value"] > 0.08
    assert selection["low"] > 0.05  # the signed interval is clear of zero
    assert selection["p_value"] < 0.005  # no shuffle of 1,000 came close
    assert disparity["demographic_parity_difference"] == pytest.approx(selection["value"])
    assert disparity["counts"]["Female"]["rows"] + disparity["counts"]["Male"]["rows"] == 1200


def test_each_mitigation_shrinks_the_planted_disparity(planted):
    _, variants, _ = planted
    table = variants.set_index("variant")
    before = abs(table.loc["unmitigated", "selection_rate_diff_value"])
    for variant in (
        "threshold_optimizer_demographic_parity",
        "exponentiated_gradient_demographic_parity",
    ):
        after = abs(table.loc[variant, "selection_rate_diff_value"])
        assert after < before / 3, (variant, before, after)
        assert table.loc[variant, "draws"] == 3
    before_eo = table.loc["unmitigated", "equalized_odds_difference"]
    for variant in ("threshold_optimizer_equalized_odds", "exponentiated_gradient_equalized_odds"):
        assert table.loc[variant, "equalized_odds_difference"] < before_eo, variant


def test_no_gap_is_not_flagged(fair):
    disparity, _, _ = fair
    for measure in ("selection_rate", "true_positive_rate", "false_positive_rate"):
        evidence = disparity["signed"][measure]
        assert evidence["low"] < 0 < evidence["high"], measure
        assert evidence["p_value"] > 0.05, measure


def test_decision_rule_mitigates_only_a_significant_gap_within_the_cost(planted, fair):
    _, planted_variants, _ = planted
    _, fair_variants, _ = fair
    lenient = {"alpha": 0.05, "max_pr_auc_loss": 1.0}
    decision = nodes.decide_mitigation(planted_variants, lenient, GROUPS)
    assert decision["mitigation"] is not None
    assert decision["mitigation"].endswith(("demographic_parity", "equalized_odds"))
    strict = nodes.decide_mitigation(planted_variants, {**lenient, "max_pr_auc_loss": -1}, GROUPS)
    assert strict["mitigation"] is None
    assert any("no mitigation within the cost" in r for r in strict["reasons"])
    kept = nodes.decide_mitigation(fair_variants, lenient, GROUPS)
    assert kept["decision"] == "keep the unmitigated model"
    assert all("no significant disparity" in r for r in kept["reasons"])


def test_proxy_check_finds_the_make_that_carries_gender(planted, fair):
    for data, expected in ((planted[2], True), (fair[2], False)):
        result = nodes.check_sensitive_proxies(
            data["model"],
            data["fit"],
            data["test"],
            data["sensitive"],
            data["sensitive"],
            GROUPS,
            EVIDENCE,
        )
        auc = result["inputs_roc_auc"]
        if expected:
            assert auc["low"] > 0.7
            assert result["single_features"][0]["feature"] == "car_make"
        else:
            assert auc["low"] < 0.5 < auc["high"]
