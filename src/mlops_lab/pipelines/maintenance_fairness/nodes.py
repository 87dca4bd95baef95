"""Nodes of the ``maintenance_fairness`` pipeline."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.maintenance import fairness
from mlops_lab.maintenance.candidates import one_thread
from mlops_lab.maintenance.explanations import shap_table
from mlops_lab.maintenance.features import ID_COLUMN, TARGET
from mlops_lab.maintenance.plots import performance_against_disparity
from mlops_lab.maintenance.report import maintenance_report
from mlops_lab.registry import RegisteredModel
from mlops_lab.tracking import metric_key

logger = logging.getLogger(__name__)

PROBLEM = "maintenance"


def _sensitive(rows: pd.DataFrame, sensitive: pd.DataFrame, attribute: str) -> np.ndarray:
    """The sensitive attribute of each row, aligned by ``record_id``.

    Raises:
        ValueError: when a row has no sensitive-attribute row.
    """
    aligned = rows[[ID_COLUMN]].merge(sensitive, on=ID_COLUMN, how="left", validate="one_to_one")
    missing = aligned[attribute].isna()
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} rows have no '{attribute}' in the sensitive table "
            f"(record_ids {aligned.loc[missing, ID_COLUMN].head(5).tolist()})."
        )
    return aligned[attribute].astype(str).to_numpy()


def _scored(model: RegisteredModel, rows: pd.DataFrame) -> pd.DataFrame:
    return model.python_model.score_features(rows)


@one_thread
def assess_model_fairness(
    model: RegisteredModel,
    test: pd.DataFrame,
    sensitive_test: pd.DataFrame,
    groups: Mapping[str, str],
    age_band_edges: list[float],
    evidence: Mapping[str, int],
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per-group metrics (gender, make, age band) and the gender disparity evidence.

    Args:
        model: ``car_maintenance_challenger``, the version just trained.
        groups: ``{attribute, group, reference}``: signed differences are
            ``group - reference`` (``Female - Male``).
        age_band_edges: Car ages (years) at which bands start; the last is open-ended.
        evidence: ``{n_resamples, n_shuffles, seed}``.

    Returns:
        ``(group_metrics, disparity)``.
    """
    attribute = groups["attribute"]
    gender = _sensitive(test, sensitive_test, attribute)
    predicted = _scored(model, test)["label"].to_numpy()
    y = test[TARGET].astype(int).to_numpy()
    table = fairness.group_table(
        y,
        predicted,
        {
            attribute: gender,
            "car_make": test["car_make"].to_numpy(),
            "age_band": fairness.age_bands(test["car_age_years"], age_band_edges),
        },
    )
    disparity = fairness.disparity_table(
        y,
        predicted,
        gender,
        groups["group"],
        groups["reference"],
        int(evidence["n_resamples"]),
        int(evidence["n_shuffles"]),
        int(evidence["seed"]),
    )
    logger.info("Disparity %s: %s", disparity["comparison"], disparity["signed"])
    return table, disparity


@one_thread
def mitigate_model_disparity(
    model: RegisteredModel,
    fit_rows: pd.DataFrame,
    validation_rows: pd.DataFrame,
    test: pd.DataFrame,
    sensitive_train: pd.DataFrame,
    sensitive_test: pd.DataFrame,
    groups: Mapping[str, str],
    mitigation: Mapping[str, Any],
    evidence: Mapping[str, int],
) -> pd.DataFrame:
    """Unmitigated and mitigated models on the same test rows, with the same evidence.

    ThresholdOptimizer is fit on the validation rows (the model is prefit), the
    ExponentiatedGradient reduction on the fitting rows; both under each constraint of
    ``mitigation.constraints``. Their predictions are random: ``mitigation.draws`` seeded
    draws give the spread, the first one the evidence.

    Returns:
        One row per variant: PR-AUC, balanced accuracy, recall, precision (with
        intervals), signed differences (with intervals, p-values and spread over
        draws), demographic-parity and equalized-odds differences and ratios.
    """
    attribute = groups["attribute"]
    features = model.python_model.framing["features"]
    estimator = model.python_model.estimator
    gender = {
        "fit": _sensitive(fit_rows, sensitive_train, attribute),
        "validation": _sensitive(validation_rows, sensitive_train, attribute),
        "test": _sensitive(test, sensitive_test, attribute),
    }
    seed = int(evidence["seed"])
    seeds = [seed + k for k in range(int(mitigation["draws"]))]
    reduction = mitigation["exponentiated_gradient"]
    x_test = test[features]

    def scored(
        name: str, scores: np.ndarray, draws: list[np.ndarray], learner: str = "model"
    ) -> dict[str, Any]:
        return fairness.score_variant(
            name,
            learner=learner,
            y_true=test[TARGET].astype(int).to_numpy(),
            scores=scores,
            draws=draws,
            sensitive=gender["test"],
            group=groups["group"],
            reference=groups["reference"],
            n_resamples=int(evidence["n_resamples"]),
            n_shuffles=int(evidence["n_shuffles"]),
            seed=seed,
        )

    unmitigated = _scored(model, test)
    variants = [
        scored(
            "unmitigated",
            unmitigated["probability"].to_numpy(),
            [unmitigated["label"].to_numpy()],
        )
    ]
    for constraint in mitigation["constraints"]:
        optimizer = fairness.threshold_optimizer(
            estimator,
            validation_rows[features],
            validation_rows[TARGET].astype(int).to_numpy(),
            gender["validation"],
            constraint,
        )
        variants.append(
            scored(
                f"threshold_optimizer_{constraint}",
                # The randomised rule's probability of a positive label.
                optimizer._pmf_predict(x_test, sensitive_features=gender["test"])[:, 1],
                [
                    optimizer.predict(x_test, sensitive_features=gender["test"], random_state=s)
                    for s in seeds
                ],
            )
        )
        reduced = fairness.exponentiated_gradient(
            estimator,
            fit_rows[features],
            fit_rows[TARGET].astype(int).to_numpy(),
            gender["fit"],
            constraint,
            max_iter=int(reduction["max_iter"]),
            eps=float(reduction["eps"]),
            base_learner=str(reduction["base_learner"]),
            seed=seed,
        )
        variants.append(
            scored(
                f"exponentiated_gradient_{constraint}",
                reduced.pmf(x_test),
                [reduced.draw(x_test, s) for s in seeds],
                learner=str(reduction["base_learner"]),
            )
        )
    table = fairness.variants_table(variants)
    logger.info(
        "Variants:\n%s",
        table[["variant", "pr_auc_value", "selection_rate_diff_value"]].to_string(),
    )
    return table


def plot_performance_against_disparity(variants: pd.DataFrame, groups: Mapping[str, str]) -> Figure:
    """PR-AUC against the signed selection-rate and true-positive-rate differences."""
    return performance_against_disparity(variants, f"{groups['group']} - {groups['reference']}")


def decide_mitigation(
    variants: pd.DataFrame, rule: Mapping[str, Any], groups: Mapping[str, str]
) -> dict[str, Any]:
    """Apply the decision rule of the parameters (see :func:`fairness.decide`)."""
    decision = fairness.decide(variants, rule, f"{groups['group']} - {groups['reference']}")
    logger.info("Fairness decision: %s (%s)", decision["decision"], decision["reasons"])
    return decision


@one_thread
def check_sensitive_proxies(
    model: RegisteredModel,
    fit_rows: pd.DataFrame,
    test: pd.DataFrame,
    sensitive_train: pd.DataFrame,
    sensitive_test: pd.DataFrame,
    groups: Mapping[str, str],
    evidence: Mapping[str, int],
) -> dict[str, Any]:
    """How well the model's inputs predict the sensitive attribute (test ROC-AUC)."""
    features = model.python_model.framing["features"]
    attribute = groups["attribute"]
    result = fairness.proxy_check(
        fit_rows[features],
        _sensitive(fit_rows, sensitive_train, attribute),
        test[features],
        _sensitive(test, sensitive_test, attribute),
        groups["group"],
        int(evidence["n_resamples"]),
        int(evidence["seed"]),
    )
    logger.info("Proxy check: %s", result["inputs_roc_auc"])
    return result


@one_thread
def explain_model_predictions(
    model: RegisteredModel, test: pd.DataFrame, settings: Mapping[str, int]
) -> pd.DataFrame:
    """SHAP values of a seeded sample of test visits (``{n_rows, seed}``)."""
    return shap_table(model.python_model, test, int(settings["n_rows"]), int(settings["seed"]))


def collect_fairness_metrics(
    variants: pd.DataFrame, proxy: Mapping[str, Any]
) -> dict[str, dict[str, float]]:
    """The fairness figures as MLflow metrics (``maintenance.fairness.<variant>.<figure>``)."""
    metrics = {}
    figures = (
        "pr_auc_value",
        "selection_rate_diff_value",
        "selection_rate_diff_p_value",
        "true_positive_rate_diff_value",
        "true_positive_rate_diff_p_value",
        "demographic_parity_difference",
        "equalized_odds_difference",
    )
    for row in variants.to_dict("records"):
        for figure in figures:
            value = float(row[figure])
            if np.isfinite(value):
                key = metric_key(PROBLEM, "fairness", row["variant"], figure.removesuffix("_value"))
                metrics[key] = {"value": value, "step": 0}
    metrics[metric_key(PROBLEM, "fairness", "proxy", "roc_auc")] = {
        "value": float(proxy["inputs_roc_auc"]["value"]),
        "step": 0,
    }
    return metrics


def build_maintenance_report(
    model_card: Mapping[str, Any],
    audit: pd.DataFrame,
    comparison: pd.DataFrame,
    group_metrics: pd.DataFrame,
    disparity: Mapping[str, Any],
    variants: pd.DataFrame,
    decision: Mapping[str, Any],
    proxy: Mapping[str, Any],
    promotion: Mapping[str, Any],
    shap_values: pd.DataFrame,
) -> tuple[str, str]:
    """The self-contained HTML report, twice: the versioned file and the run's copy."""
    html = maintenance_report(
        model_card,
        audit,
        comparison,
        group_metrics,
        disparity,
        variants,
        decision,
        proxy,
        promotion,
        shap_values,
    )
    return html, html
