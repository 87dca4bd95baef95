"""The configured model comparison: a majority baseline, logistic regression, boosting.

Each candidate is a scikit-learn pipeline on a framing's feature columns: categories
one-hot encoded, numbers scaled for the linear model. Class imbalance (about 5 %
positives) is handled by class weights; the decision threshold is chosen later on a
validation split. Adding a candidate is a parameter change and, for a new kind, one
entry in :data:`KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from mlops_lab.maintenance.features import CATEGORICAL_FEATURES

# On these small tables (thousands of rows) threads cost more than they save, and the
# cores are shared: one boosting fit took 1.2-8 s with OpenMP's threads and 0.3 s on one
# thread, a logistic regression 0.43 s with BLAS threads and 0.08 s on one (two cores,
# load 5-9). Used as a decorator (nodes) or a ``with`` block (the model's predict).
one_thread = threadpool_limits.wrap(limits=1)


def _columns(features: Sequence[str], scale: bool) -> ColumnTransformer:
    categorical = [f for f in features if f in CATEGORICAL_FEATURES]
    numeric = [f for f in features if f not in CATEGORICAL_FEATURES]
    transformers: list[tuple[str, Any, list[str]]] = []
    if categorical:
        transformers.append(
            ("categories", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical)
        )
    if numeric:
        transformers.append(("numbers", StandardScaler() if scale else "passthrough", numeric))
    return ColumnTransformer(transformers, verbose_feature_names_out=False)


def _majority(features: Sequence[str], seed: int, **options: Any) -> Pipeline:
    return Pipeline(
        [("columns", _columns(features, False)), ("model", DummyClassifier(strategy="prior"))]
    )


def _logistic(features: Sequence[str], seed: int, **options: Any) -> Pipeline:
    model = LogisticRegression(class_weight="balanced", max_iter=2000, random_state=seed, **options)
    return Pipeline([("columns", _columns(features, True)), ("model", model)])


def _boosting(features: Sequence[str], seed: int, **options: Any) -> Pipeline:
    model = HistGradientBoostingClassifier(class_weight="balanced", random_state=seed, **options)
    return Pipeline([("columns", _columns(features, False)), ("model", model)])


KINDS: dict[str, Callable[..., Pipeline]] = {
    "majority": _majority,
    "logistic_regression": _logistic,
    "gradient_boosting": _boosting,
}


def build_candidate(
    name: str, spec: Mapping[str, Any], features: Sequence[str], seed: int
) -> Pipeline:
    """An unfitted candidate from its configuration ``{kind: ..., options: {...}}``.

    Raises:
        ValueError: naming the candidate and its unknown kind.
    """
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(
            f"maintenance_training.candidates.{name}.kind: unknown {kind!r}; known: {list(KINDS)}."
        )
    return KINDS[kind](list(features), seed, **dict(spec.get("options") or {}))
