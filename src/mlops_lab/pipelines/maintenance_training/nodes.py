"""Nodes of the ``maintenance_training`` pipeline."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    precision_recall_curve,
)
from sklearn.model_selection import train_test_split

from mlops_lab.maintenance.candidates import build_candidate, one_thread
from mlops_lab.maintenance.evidence import classifier_estimates
from mlops_lab.maintenance.features import FEATURE_COLUMNS, ID_COLUMN, TARGET
from mlops_lab.maintenance.framing import parse_framings
from mlops_lab.maintenance.leakage import audit_features, check_features
from mlops_lab.maintenance.model import MODEL_NAME, CarMaintenanceModel
from mlops_lab.registry import RegisteredModel
from mlops_lab.tracking import metric_key

logger = logging.getLogger(__name__)

PROBLEM = "maintenance"
BASELINE = "majority"
REPORTED = ("pr_auc", "roc_auc", "balanced_accuracy", "recall", "precision")


def audit_feature_leakage(train: pd.DataFrame, leakage: Mapping[str, float]) -> pd.DataFrame:
    """Score every candidate feature alone against the target, on the training rows.

    Args:
        train: ``maintenance_model_input_train``.
        leakage: ``{leak_balanced_accuracy, strong_auc}`` (see
            :func:`mlops_lab.maintenance.leakage.audit_features`).
    """
    candidates = [c for c in FEATURE_COLUMNS if c in train]
    return audit_features(
        train,
        TARGET,
        candidates,
        leak_balanced_accuracy=float(leakage["leak_balanced_accuracy"]),
        strong_auc=float(leakage["strong_auc"]),
    )


def select_framings(
    audit: pd.DataFrame, framings: Mapping[str, Any], allowed_leaks: Mapping[str, str] | None
) -> dict[str, Any]:
    """The configured framings, each refused when it uses a leak not allowed with a reason.

    Raises:
        LeakageError: naming the framing, the feature and the rule it implies.
    """
    parsed = parse_framings(framings)
    for framing in parsed.values():
        check_features(framing.name, framing.features, audit, allowed_leaks)
    return {
        "framings": {name: f.as_dict() for name, f in parsed.items()},
        "allowed_leaks": {str(k): str(v) for k, v in (allowed_leaks or {}).items()},
    }


def carve_validation_split(
    train: pd.DataFrame, validation_size: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the training rows into fitting rows and a validation split (stratified).

    The threshold and the post-processing mitigation are chosen on the validation rows;
    the test rows are never looked at before the final scoring.
    """
    if not 0 < validation_size < 1:
        raise ValueError(
            f"maintenance_training.validation_size must be in (0, 1), got {validation_size}."
        )
    fit, validation = train_test_split(
        train, test_size=validation_size, stratify=train[TARGET], random_state=seed
    )
    return fit.sort_values(ID_COLUMN).reset_index(drop=True), validation.sort_values(
        ID_COLUMN
    ).reset_index(drop=True)


@one_thread
def fit_candidates(
    fit_rows: pd.DataFrame,
    framings: Mapping[str, Any],
    candidates: Mapping[str, Any],
    seed: int,
) -> dict[str, dict[str, Any]]:
    """Fit every candidate under every framing on the fitting rows.

    Returns:
        ``{framing: {candidate: fitted scikit-learn pipeline}}``.
    """
    y = fit_rows[TARGET].astype(int).to_numpy()
    fitted: dict[str, dict[str, Any]] = {}
    for name, framing in framings["framings"].items():
        fitted[name] = {}
        for candidate, spec in candidates.items():
            started = time.perf_counter()
            model = build_candidate(candidate, spec, framing["features"], seed)
            model.fit(fit_rows[framing["features"]], y)
            fitted[name][candidate] = model
            logger.info("Fitted %s / %s in %.2f s", name, candidate, time.perf_counter() - started)
    return fitted


def _best_f1_threshold(y: np.ndarray, scores: np.ndarray) -> float:
    precision, recall, thresholds = precision_recall_curve(y, scores)
    if len(thresholds) == 0:
        return 0.5
    f1 = 2 * precision[:-1] * recall[:-1] / np.clip(precision[:-1] + recall[:-1], 1e-12, None)
    return float(thresholds[int(np.argmax(f1))])


@one_thread
def choose_thresholds(
    models: Mapping[str, Mapping[str, Any]], validation_rows: pd.DataFrame
) -> dict[str, Any]:
    """Per framing and candidate: validation PR-AUC and the threshold of best F1.

    The framing's model is the candidate with the best validation PR-AUC (ties: the
    first configured). The majority baseline scores every row with the prevalence, so
    its best-F1 threshold labels every visit positive: it is the yardstick.
    """

    y = validation_rows[TARGET].astype(int).to_numpy()
    selection: dict[str, Any] = {"validation_rows": len(y), "prevalence": float(y.mean())}
    for framing, candidates in models.items():
        entries = {}
        for name, model in candidates.items():
            scores = model.predict_proba(validation_rows[_features(model)])[:, 1]
            entries[name] = {
                "validation_pr_auc": float(average_precision_score(y, scores)),
                "threshold": _best_f1_threshold(y, scores),
            }
        best = max(entries, key=lambda n: entries[n]["validation_pr_auc"])
        selection[framing] = {"candidates": entries, "best": best}
        logger.info("Framing %s: best on validation %s %s", framing, best, entries[best])
    return selection


def _features(model: Any) -> list[str]:
    return list(model.feature_names_in_)


@one_thread
def evaluate_candidates(
    models: Mapping[str, Mapping[str, Any]],
    selection: Mapping[str, Any],
    test: pd.DataFrame,
    bootstrap: Mapping[str, int],
) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Every framing and candidate on the test rows, each figure with a 95 % interval.

    Returns:
        ``(table, mlflow_metrics)``: one row per framing, candidate and metric
        (``value, low, high``, the test prevalence beside PR-AUC, ``selected`` for the
        framing's model); the test figures as MLflow metrics
        (``maintenance.test.<framing>.<candidate>.<metric>``).
    """
    y = test[TARGET].astype(int).to_numpy()
    prevalence = float(y.mean())
    rows, metrics = [], {}
    for framing, candidates in models.items():
        for name, model in candidates.items():
            scores = model.predict_proba(test[_features(model)])[:, 1]
            threshold = selection[framing]["candidates"][name]["threshold"]
            estimates = classifier_estimates(
                y,
                scores,
                (scores >= threshold).astype(int),
                int(bootstrap["n_resamples"]),
                int(bootstrap["seed"]),
            )
            for metric in REPORTED:
                estimate = estimates[metric]
                rows.append(
                    {
                        "framing": framing,
                        "candidate": name,
                        "selected": name == selection[framing]["best"],
                        "metric": metric,
                        **estimate.as_dict(),
                        "prevalence": prevalence,
                        "threshold": threshold,
                        "test_rows": len(y),
                    }
                )
                metrics[metric_key(PROBLEM, "test", f"{framing}.{name}", metric)] = {
                    "value": estimate.value,
                    "step": 0,
                }
    return pd.DataFrame(rows), metrics


def usable_signal(comparison: pd.DataFrame, framing: str) -> dict[str, Any]:
    """Whether the framing's selected model's PR-AUC interval is clear of the prevalence."""
    row = comparison[
        (comparison["framing"] == framing)
        & comparison["selected"]
        & (comparison["metric"] == "pr_auc")
    ].iloc[0]
    clear = bool(row["low"] > row["prevalence"])
    statement = (
        f"PR-AUC {row['value']:.3f} (95 % interval {row['low']:.3f}-{row['high']:.3f}) is "
        f"clear of the prevalence {row['prevalence']:.3f}: the model ranks visits better "
        "than chance."
        if clear
        else f"No usable signal: PR-AUC {row['value']:.3f} (95 % interval {row['low']:.3f}-"
        f"{row['high']:.3f}) is not clear of the prevalence {row['prevalence']:.3f}; the "
        "model is no better than predicting the base rate and should not be used."
    )
    return {"usable_signal": clear, "statement": statement, "candidate": row["candidate"]}


def package_maintenance_model(
    models: Mapping[str, Mapping[str, Any]],
    selection: Mapping[str, Any],
    framings: Mapping[str, Any],
    raw: pd.DataFrame,
    test: pd.DataFrame,
    model_card: Mapping[str, Any],
    min_age_days: int,
) -> CarMaintenanceModel:
    """The registered framing's selected model as a pyfunc on raw visit records.

    Args:
        model_card: ``{framing, example_rows, ...}`` from parameters: the framing whose
            model is registered, and how many raw test records make the input example.

    Returns:
        The model to register (``car_maintenance_challenger``).
    """
    framing = str(model_card["framing"])
    if framing not in models:
        raise ValueError(
            f"maintenance_training.model_card.framing: '{framing}' is not a configured "
            f"framing ({list(models)})."
        )
    best = selection[framing]["best"]
    example_ids = test[ID_COLUMN].iloc[: int(model_card["example_rows"])]
    return CarMaintenanceModel(
        estimator=models[framing][best],
        framing=framings["framings"][framing],
        threshold=selection[framing]["candidates"][best]["threshold"],
        input_example=raw.iloc[example_ids.to_numpy()],
        min_age_days=min_age_days,
    )


def write_model_card(
    selection: Mapping[str, Any],
    comparison: pd.DataFrame,
    framings: Mapping[str, Any],
    audit: pd.DataFrame,
    model_card: Mapping[str, Any],
) -> dict[str, Any]:
    """The model card: framing, features, figures with intervals per framing, signal.

    It says "no usable signal" when the selected model's PR-AUC interval is not clear
    of the prevalence, instead of presenting the model.
    """
    framing = str(model_card["framing"])
    best = selection[framing]["best"]
    by_framing = {
        name: {
            row["metric"]: {"value": row["value"], "low": row["low"], "high": row["high"]}
            for _, row in group.iterrows()
        }
        for name, group in comparison[comparison["selected"]].groupby("framing")
    }
    signal_by_framing = {
        name: usable_signal(comparison, name) for name in selection_names(selection)
    }
    card = {
        "model_name": MODEL_NAME,
        "framing": framings["framings"][framing],
        "framings": framings["framings"],
        "model": best,
        "threshold": selection[framing]["candidates"][best]["threshold"],
        "intended_use": str(model_card["intended_use"]),
        "data": str(model_card["data"]),
        "prevalence_test": float(comparison["prevalence"].iloc[0]),
        "test_rows": int(comparison["test_rows"].iloc[0]),
        "selected_metrics_by_framing": by_framing,
        "best_by_framing": {name: selection[name]["best"] for name in signal_by_framing},
        "signal": signal_by_framing[framing],
        "signal_by_framing": signal_by_framing,
        "leaks": audit[audit["verdict"] == "definitional_leak"][["feature", "rule"]].to_dict(
            "records"
        ),
        "allowed_leaks": framings.get("allowed_leaks", {}),
        "never_inputs": ["gender", "first-name", "last-name"],
    }
    logger.info("Model card: %s framing, %s; %s", framing, best, card["signal"]["statement"])
    return card


def selection_names(selection: Mapping[str, Any]) -> list[str]:
    """The framings of a model selection (its other keys describe the validation rows)."""
    return [k for k, v in selection.items() if isinstance(v, Mapping) and "best" in v]


def score_promotion_candidates(
    challenger: RegisteredModel,
    incumbent: RegisteredModel | None,
    raw: pd.DataFrame,
    test: pd.DataFrame,
) -> dict[str, Any]:
    """Test PR-AUC of the challenger and the champion, both through their pyfunc.

    Both are called on the raw records of the test rows (the raw file's columns, gender
    and names included: the models ignore them), the way users call them.
    """
    records = raw.iloc[test[ID_COLUMN].to_numpy()].reset_index(drop=True)
    y = test[TARGET].astype(int).to_numpy()

    def score(model: RegisteredModel) -> tuple[float, float]:
        predicted = model.predict(records)
        return (
            float(average_precision_score(y, predicted["probability"])),
            float(balanced_accuracy_score(y, predicted["label"])),
        )

    pr_auc, balanced = score(challenger)
    champion = None
    if incumbent is not None and incumbent.version != challenger.version:
        champion = score(incumbent)[0]
    scores = {
        "challenger": pr_auc,
        "champion": champion,
        "data": f"maintenance_model_input_test: {len(y)} visits of the real file (test split)",
        "challenger_metrics": {
            metric_key(PROBLEM, "test", "pr_auc"): pr_auc,
            metric_key(PROBLEM, "test", "balanced_accuracy"): balanced,
            metric_key(PROBLEM, "test", "prevalence"): float(y.mean()),
        },
    }
    logger.info(
        "Test PR-AUC: challenger v%s %.4f, champion %s",
        challenger.version,
        pr_auc,
        "none" if champion is None else f"v{incumbent.version} {champion:.4f}",
    )
    return scores
