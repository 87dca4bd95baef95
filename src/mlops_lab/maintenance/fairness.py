"""Fairness evidence that separates a real gap from noise, and its mitigation.

- :func:`group_table`: fairlearn ``MetricFrame`` per group (count, positives, selection
  rate, true and false positive rate, precision, accuracy).
- :func:`disparity_table`: **signed** differences ``group - reference`` (e.g. Female -
  Male) with bootstrap intervals that can contain zero, a permutation p-value for each
  (the sensitive attribute shuffled over the rows), and fairlearn's demographic-parity and
  equalized-odds differences and ratios beside them with the per-group counts.
- :func:`threshold_optimizer` / :func:`exponentiated_gradient`: fairlearn's
  post-processing (fit on validation rows) and reduction (fit on the fitting rows) under
  a constraint; both randomise predictions, so :func:`score_variant` scores a fixed-seed
  draw with the same evidence and reports the spread over repeated draws.
- :func:`decide` applies the written decision rule; :func:`proxy_check` measures how well
  the model's inputs predict the sensitive attribute.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    count,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from fairlearn.postprocessing import ThresholdOptimizer
from fairlearn.reductions import DemographicParity, EqualizedOdds, ExponentiatedGradient
from sklearn.base import clone
from sklearn.metrics import accuracy_score, precision_score, roc_auc_score

from mlops_lab.maintenance.candidates import build_candidate
from mlops_lab.maintenance.evidence import (
    bootstrap_weights,
    classifier_estimates,
    disparity_evidence,
    group_rate_differences,
    interval,
    ranking_metrics,
)

CONSTRAINTS = {"demographic_parity": DemographicParity, "equalized_odds": EqualizedOdds}
# The signed measures behind each constraint.
CONSTRAINT_MEASURES = {
    "demographic_parity": ("selection_rate",),
    "equalized_odds": ("true_positive_rate", "false_positive_rate"),
}


def _positives(y_true, y_pred) -> float:
    return float(np.sum(y_true))


def _precision(y_true, y_pred) -> float:
    return float(precision_score(y_true, y_pred, zero_division=0))


GROUP_METRICS = {
    "count": count,
    "positives": _positives,
    "selection_rate": selection_rate,
    "true_positive_rate": true_positive_rate,
    "false_positive_rate": false_positive_rate,
    "precision": _precision,
    "accuracy": accuracy_score,
}


def group_table(
    y_true: np.ndarray, predicted: np.ndarray, attributes: Mapping[str, Sequence]
) -> pd.DataFrame:
    """MetricFrame per group of each attribute, as one long table.

    Returns:
        ``attribute, group`` and the :data:`GROUP_METRICS` columns, one row per group.
    """
    frames = []
    for name, values in attributes.items():
        frame = MetricFrame(
            metrics=GROUP_METRICS,
            y_true=np.asarray(y_true),
            y_pred=np.asarray(predicted),
            sensitive_features=pd.Series(np.asarray(values), name="group"),
        ).by_group.reset_index()
        frame.insert(0, "attribute", name)
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    table[["count", "positives"]] = table[["count", "positives"]].astype(int)
    return table


def age_bands(ages: Sequence[float], edges: Sequence[float]) -> np.ndarray:
    """Car ages in bands ``[a, b)`` labelled ``"a-b y"``, from the last edge on ``"c+ y"``."""
    edges = [float(e) for e in edges]
    labels = [f"{a:g}-{b:g} y" for a, b in itertools.pairwise(edges)] + [f"{edges[-1]:g}+ y"]
    bands = pd.cut(np.asarray(ages, dtype=float), bins=[*edges, np.inf], labels=labels, right=False)
    return np.asarray(bands.astype(str))


def disparity_table(
    y_true: np.ndarray,
    predicted: np.ndarray,
    sensitive: Sequence,
    group: str,
    reference: str,
    n_resamples: int,
    n_shuffles: int,
    seed: int,
) -> dict[str, Any]:
    """Signed ``group - reference`` differences with intervals and permutation p-values.

    Rows of other groups are left out (a two-group comparison). Also fairlearn's
    demographic-parity and equalized-odds differences and ratios (``max - min`` and
    ``min / max`` over the two groups) with the counts behind them.

    Raises:
        ValueError: when either group has no rows.
    """
    values = np.asarray(sensitive).astype(str)
    keep = np.isin(values, [group, reference])
    y, p, s = np.asarray(y_true)[keep], np.asarray(predicted)[keep], values[keep]
    counts = {
        g: {"rows": int(np.sum(s == g)), "positives": int(np.sum(y[s == g]))}
        for g in (group, reference)
    }
    empty = [g for g, c in counts.items() if c["rows"] == 0]
    if empty:
        raise ValueError(f"fairness: no rows of group(s) {empty} to compare.")
    evidence = disparity_evidence(y, p, s == group, n_resamples, n_shuffles, seed)
    return {
        "comparison": f"{group} - {reference}",
        "signed": evidence,
        **parity_summary(y, p, s == group),
        "counts": counts,
        "n_resamples": int(n_resamples),
        "n_shuffles": int(n_shuffles),
    }


def parity_summary(y_true: np.ndarray, predicted: np.ndarray, in_group: np.ndarray) -> dict:
    """fairlearn's demographic-parity and equalized-odds differences and ratios, two groups.

    The same definitions as :func:`fairlearn.metrics.demographic_parity_difference` and
    friends (``max - min`` and ``min / max`` of the group rates; equalized odds takes the
    worse of the true and false positive rates), computed from the group rates at once
    instead of a MetricFrame per figure (checked against fairlearn in the tests).
    """
    y, p, g = (np.asarray(a, dtype=float) for a in (y_true, predicted, in_group))

    def rates(mask: np.ndarray) -> tuple[float, float, float]:
        def share(numerator: np.ndarray, denominator: np.ndarray) -> float:
            total = float(np.sum(denominator))
            return float(np.sum(numerator) / total) if total else float("nan")

        return (
            share(p * mask, mask),
            share(p * y * mask, y * mask),
            share(p * (1 - y) * mask, (1 - y) * mask),
        )

    a, b = rates(g), rates(1 - g)

    def ratio(x: float, z: float) -> float:
        high = max(x, z)
        return min(x, z) / high if high > 0 else 1.0

    return {
        "demographic_parity_difference": abs(a[0] - b[0]),
        "demographic_parity_ratio": ratio(a[0], b[0]),
        "equalized_odds_difference": max(abs(a[1] - b[1]), abs(a[2] - b[2])),
        "equalized_odds_ratio": min(ratio(a[1], b[1]), ratio(a[2], b[2])),
    }


def significant(measure: Mapping[str, float], alpha: float) -> bool:
    """A signed difference is significant when p < alpha and its interval excludes 0."""
    return bool(measure["p_value"] < alpha and (measure["low"] > 0 or measure["high"] < 0))


# ------------------------------------------------------------------ mitigation
def threshold_optimizer(
    estimator: Any,
    features: pd.DataFrame,
    y: np.ndarray,
    sensitive: Sequence,
    constraint: str,
) -> ThresholdOptimizer:
    """fairlearn's post-processing on the (prefit) estimator, fit on validation rows."""
    optimizer = ThresholdOptimizer(
        estimator=estimator,
        constraints=constraint,
        objective="balanced_accuracy_score",
        prefit=True,
        predict_method="predict_proba",
    )
    return optimizer.fit(features, y, sensitive_features=np.asarray(sensitive))


class ReducedModel:
    """An ExponentiatedGradient mixture behind the input transformation it was fit on."""

    def __init__(self, transform: Any, reduction: ExponentiatedGradient) -> None:
        self.transform = transform
        self.reduction = reduction

    def pmf(self, features: pd.DataFrame) -> np.ndarray:
        # The mixture's probability of a positive label (fairlearn 0.15's _pmf_predict).
        return self.reduction._pmf_predict(self.transform.transform(features))[:, 1]

    def draw(self, features: pd.DataFrame, seed: int) -> np.ndarray:
        return self.reduction.predict(self.transform.transform(features), random_state=seed)


def exponentiated_gradient(
    estimator: Any,
    features: pd.DataFrame,
    y: np.ndarray,
    sensitive: Sequence,
    constraint: str,
    max_iter: int,
    eps: float,
    base_learner: str = "model",
    seed: int = 0,
) -> ReducedModel:
    """fairlearn's reduction under the constraint, on the fitting rows.

    The reduction refits its base learner with new sample weights dozens of times.
    ``base_learner="model"`` refits the model's own final step behind its fitted input
    transformation; a candidate kind (``"logistic_regression"``) uses that cheaper
    learner on the same features instead (the default size: boosting refits cost about
    0.3 s each).
    """
    if base_learner == "model":
        transform, learner = estimator[:-1], clone(estimator[-1])
    else:
        candidate = build_candidate("reduction", {"kind": base_learner}, list(features), seed)
        transform, learner = candidate[:-1].fit(features, y), candidate[-1]
    reduction = ExponentiatedGradient(
        estimator=learner, constraints=CONSTRAINTS[constraint](), eps=eps, max_iter=max_iter
    )
    reduction.fit(transform.transform(features), y, sensitive_features=np.asarray(sensitive))
    return ReducedModel(transform, reduction)


def score_variant(
    name: str,
    y_true: np.ndarray,
    scores: np.ndarray,
    draws: Sequence[np.ndarray],
    sensitive: Sequence,
    group: str,
    reference: str,
    n_resamples: int,
    n_shuffles: int,
    seed: int,
    learner: str = "model",
) -> dict[str, Any]:
    """One model variant on the test rows: performance and disparity, with their evidence.

    Args:
        scores: Probability of a positive label (for PR-AUC).
        draws: Label vectors; the first is the fixed-seed draw the evidence is computed
            on, the rest give the spread (a deterministic model passes one).
    """
    first = draws[0]
    performance = classifier_estimates(y_true, scores, first, n_resamples, seed)
    disparity = disparity_table(
        y_true, first, sensitive, group, reference, n_resamples, n_shuffles, seed
    )
    s = np.asarray(sensitive).astype(str)
    keep = np.isin(s, [group, reference])
    ones = np.ones((1, int(keep.sum())))
    per_draw = [
        group_rate_differences(np.asarray(y_true)[keep], d[keep], s[keep] == group, ones)
        for d in map(np.asarray, draws)
    ]
    spread = {
        measure: float(np.std([values[measure][0] for values in per_draw]))
        for measure in ("selection_rate", "true_positive_rate", "false_positive_rate")
    }
    accuracy_draws = [float(np.mean(d == y_true)) for d in draws]
    return {
        "variant": name,
        "learner": learner,
        "performance": {k: v.as_dict() for k, v in performance.items()},
        "disparity": disparity,
        "draws": len(draws),
        "spread_signed_difference": spread,
        "spread_accuracy": float(np.std(accuracy_draws)),
    }


def variants_table(variants: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Performance against disparity, one row per variant (the figures of the plot)."""
    rows = []
    for v in variants:
        row: dict[str, Any] = {
            "variant": v["variant"],
            "learner": v.get("learner", "model"),
            "draws": v["draws"],
        }
        for metric in ("pr_auc", "balanced_accuracy", "recall", "precision"):
            for part in ("value", "low", "high"):
                row[f"{metric}_{part}"] = v["performance"][metric][part]
        for measure, evidence in v["disparity"]["signed"].items():
            if measure in ("selection_rate", "true_positive_rate", "false_positive_rate"):
                for part in ("value", "low", "high", "p_value"):
                    row[f"{measure}_diff_{part}"] = evidence[part]
                row[f"{measure}_diff_spread"] = v["spread_signed_difference"][measure]
        for name in (
            "demographic_parity_difference",
            "demographic_parity_ratio",
            "equalized_odds_difference",
            "equalized_odds_ratio",
        ):
            row[name] = v["disparity"][name]
        rows.append(row)
    return pd.DataFrame(rows)


def decide(table: pd.DataFrame, rule: Mapping[str, Any], comparison: str) -> dict[str, Any]:
    """Apply the decision rule to the variants table.

    Rule: a constraint's disparity is significant when one of its signed measures has
    p < ``alpha`` and an interval clear of zero (unmitigated model). Only then is a
    mitigation under that constraint considered, and it is recommended when it makes
    the largest absolute signed difference of that constraint smaller and costs at most
    ``max_pr_auc_loss`` of PR-AUC; of several, the one with the smallest disparity.
    """
    alpha, max_loss = float(rule["alpha"]), float(rule["max_pr_auc_loss"])
    base = table.set_index("variant").loc["unmitigated"]
    reasons, chosen = [], None
    best_gap = np.inf
    for constraint, measures in CONSTRAINT_MEASURES.items():
        flagged = [
            m
            for m in measures
            if base[f"{m}_diff_p_value"] < alpha
            and (base[f"{m}_diff_low"] > 0 or base[f"{m}_diff_high"] < 0)
        ]
        described = ", ".join(
            f"{m} {base[f'{m}_diff_value']:+.3f} [{base[f'{m}_diff_low']:+.3f}, "
            f"{base[f'{m}_diff_high']:+.3f}], p={base[f'{m}_diff_p_value']:.3f}"
            for m in measures
        )
        if not flagged:
            reasons.append(
                f"{constraint}: no significant disparity ({comparison}: {described}); "
                "no mitigation needed"
            )
            continue
        gap = max(abs(base[f"{m}_diff_value"]) for m in measures)
        candidates = table[table["variant"].str.endswith(constraint)]
        found = False
        for _, row in candidates.iterrows():
            mitigated_gap = max(abs(row[f"{m}_diff_value"]) for m in measures)
            loss = base["pr_auc_value"] - row["pr_auc_value"]
            verdict = (
                f"{row['variant']}: largest |difference| {gap:.3f} -> {mitigated_gap:.3f}, "
                f"PR-AUC loss {loss:+.3f} (allowed {max_loss:g})"
            )
            if mitigated_gap < gap and loss <= max_loss:
                found = True
                if mitigated_gap < best_gap:
                    chosen, best_gap = row["variant"], mitigated_gap
                reasons.append(f"{constraint}: significant ({described}); {verdict}: acceptable")
            else:
                reasons.append(f"{constraint}: significant ({described}); {verdict}: rejected")
        if not found:
            reasons.append(f"{constraint}: significant, and no mitigation within the cost")
    outcome = f"mitigate with {chosen}" if chosen else "keep the unmitigated model"
    return {
        "rule": dict(rule),
        "comparison": comparison,
        "decision": outcome,
        "mitigation": chosen,
        "reasons": reasons,
    }


def proxy_check(
    fit_features: pd.DataFrame,
    fit_sensitive: Sequence,
    test_features: pd.DataFrame,
    test_sensitive: Sequence,
    group: str,
    n_resamples: int,
    seed: int,
) -> dict[str, Any]:
    """How well the model's inputs predict the sensitive attribute, and which carry it.

    A logistic regression on the inputs (one-hot categories, scaled numbers), fit on the
    fitting rows, is scored on the test rows (ROC-AUC with a bootstrap interval); each
    input alone is scored by its test ROC-AUC (direction-free; categories by their
    group share on the fitting rows). 0.5 means the inputs carry no trace of the group.
    """
    y_fit = (np.asarray(fit_sensitive).astype(str) == group).astype(int)
    y_test = (np.asarray(test_sensitive).astype(str) == group).astype(int)
    model = build_candidate(
        "proxy", {"kind": "logistic_regression"}, list(fit_features.columns), seed
    )
    model.fit(fit_features, y_fit)
    scores = model.predict_proba(test_features)[:, 1]
    weights = bootstrap_weights(len(y_test), n_resamples, seed)
    observed = float(roc_auc_score(y_test, scores))
    combined = interval(observed, ranking_metrics(y_test, scores, weights)["roc_auc"])
    singles = []
    for column in test_features.columns:
        values = test_features[column]
        if values.dtype.kind not in "biuf":
            share = pd.Series(y_fit).groupby(fit_features[column].to_numpy()).mean()
            values = values.map(share).fillna(y_fit.mean())
        auc = float(roc_auc_score(y_test, values.to_numpy(dtype=float)))
        singles.append({"feature": column, "roc_auc": round(max(auc, 1 - auc), 4)})
    singles.sort(key=lambda r: -r["roc_auc"])
    return {
        "target": f"sensitive attribute == {group}",
        "inputs_roc_auc": combined.as_dict(),
        "single_features": singles,
    }
