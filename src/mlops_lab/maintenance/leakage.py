"""Leakage audit: does one feature on its own already give the answer?

Before any model is trained, every candidate feature is scored alone against the target:
its single-feature ROC-AUC (direction-free: ``max(auc, 1 - auc)``) and the best single
split of a one-level tree, with the rule that split implies (``car_miles < 9999``) and
its balanced accuracy. A split that separates the classes almost perfectly is a
*definitional leak*: the label was recorded from that feature (here: the visit happened
before the car reached 10,000 miles). Training refuses such a feature unless the
parameters allow it with a stated reason (:func:`check_features`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
from sklearn.metrics import balanced_accuracy_score, roc_auc_score
from sklearn.tree import DecisionTreeClassifier

logger = logging.getLogger(__name__)

LEAK = "definitional_leak"
STRONG = "strong"
WEAK = "weak"


class LeakageError(ValueError):
    """A feature flagged as a definitional leak was asked for without a stated reason."""


def _stump_rule(values: pd.Series, y: np.ndarray, name: str) -> tuple[str, float]:
    """The best single split of ``values`` and its balanced accuracy, as a readable rule."""
    if values.dtype.kind in "biuf":
        x = values.to_numpy(dtype=np.float64).reshape(-1, 1)
        tree = DecisionTreeClassifier(max_depth=1, class_weight="balanced", random_state=0)
        tree.fit(x, y)
        if tree.tree_.node_count < 3:
            return f"{name}: no split", 0.5
        cut = float(tree.tree_.threshold[0])
        left_positive = tree.tree_.value[1][0].argmax() == 1
        rule = f"{name} {'<=' if left_positive else '>'} {cut:g}"
        return rule, float(balanced_accuracy_score(y, tree.predict(x)))
    # Categories: the best "in this set of categories" split orders them by target rate.
    rates = pd.Series(y).groupby(values.to_numpy()).mean()
    best_rule, best_score = f"{name}: no split", 0.5
    ordered = rates.sort_values(ascending=False).index.tolist()
    for size in range(1, len(ordered)):
        chosen = ordered[:size]
        predicted = values.isin(chosen).to_numpy().astype(int)
        score = float(balanced_accuracy_score(y, predicted))
        if score > best_score:
            best_rule, best_score = f"{name} in {sorted(map(str, chosen))}", score
    return best_rule, best_score


def _single_feature_auc(values: pd.Series, y: np.ndarray) -> float:
    if values.dtype.kind in "biuf":
        x = values.to_numpy(dtype=np.float64)
    else:  # categories scored by their in-sample target rate (an upper bound)
        x = values.map(pd.Series(y).groupby(values.to_numpy()).mean()).to_numpy(np.float64)
    auc = float(roc_auc_score(y, x))
    return max(auc, 1 - auc)


def audit_features(
    frame: pd.DataFrame,
    target: str,
    features: Iterable[str],
    leak_balanced_accuracy: float,
    strong_auc: float,
) -> pd.DataFrame:
    """Score each feature alone against the target.

    Args:
        frame: Rows with the features and the target (training rows only).
        target: Binary target column.
        features: Candidate feature columns.
        leak_balanced_accuracy: A single split at least this accurate (balanced) is a
            definitional leak.
        strong_auc: A single-feature ROC-AUC from which a feature is reported as strong
            (kept, but the framing must justify that it is known at prediction time).

    Returns:
        One row per feature, most separating first: ``feature, kind, roc_auc, rule,
        split_balanced_accuracy, verdict`` (``definitional_leak`` / ``strong`` / ``weak``).

    Raises:
        ValueError: naming the target or a feature missing from ``frame``, or a target
            with a single class.
    """
    names = list(features)
    missing = [c for c in [target, *names] if c not in frame]
    if missing:
        raise ValueError(f"leakage audit: columns {missing} are not in the table.")
    y = frame[target].astype(int).to_numpy()
    if len(np.unique(y)) < 2:
        raise ValueError(f"leakage audit: target '{target}' has a single class.")
    rows = []
    for name in names:
        values = frame[name]
        rule, split_score = _stump_rule(values, y, name)
        auc = _single_feature_auc(values, y)
        if split_score >= leak_balanced_accuracy:
            verdict = LEAK
        elif auc >= strong_auc:
            verdict = STRONG
        else:
            verdict = WEAK
        rows.append(
            {
                "feature": name,
                "kind": "numeric" if values.dtype.kind in "biuf" else "categorical",
                "roc_auc": round(auc, 4),
                "rule": rule,
                "split_balanced_accuracy": round(split_score, 4),
                "verdict": verdict,
            }
        )
    audit = pd.DataFrame(rows).sort_values("split_balanced_accuracy", ascending=False)
    flagged = audit.loc[audit["verdict"] == LEAK, "rule"].tolist()
    logger.info("Leakage audit of %d features; definitional leaks: %s", len(names), flagged)
    return audit.reset_index(drop=True)


def check_features(
    framing: str,
    features: Iterable[str],
    audit: pd.DataFrame,
    allowed_leaks: Mapping[str, str] | None,
) -> list[str]:
    """The features, after refusing any definitional leak not allowed with a reason.

    Args:
        framing: The prediction-time framing asking for the features (for the message).
        features: Its feature columns.
        audit: The table of :func:`audit_features`.
        allowed_leaks: ``{feature: reason}``; a flagged feature is accepted only with a
            non-empty reason (e.g. a demonstration of what the leak does to the scores).

    Raises:
        LeakageError: naming each refused feature, the rule it implies and how to allow it.
    """
    allowed = {k: str(v).strip() for k, v in (allowed_leaks or {}).items() if str(v or "").strip()}
    names = list(features)
    leaks = {row["feature"]: row for row in audit.to_dict("records") if row["verdict"] == LEAK}
    refused = [
        f"'{name}' (rule: {leaks[name]['rule']}, balanced accuracy "
        f"{leaks[name]['split_balanced_accuracy']:.4f} on its own)"
        for name in names
        if name in leaks and name not in allowed
    ]
    if refused:
        raise LeakageError(
            f"Framing '{framing}' uses definitional leak(s): {'; '.join(refused)}. The target "
            "is recorded from this feature, so a model on it learns the rule, not the car. "
            "Remove it from the framing, or allow it in parameters "
            "(maintenance_training.allowed_leaks: {<feature>: <reason>})."
        )
    for name in names:
        if name in allowed and name in leaks:
            logger.warning("Framing '%s' uses leak '%s', allowed: %s", framing, name, allowed[name])
    return names
