"""Day classifiers compared with the CNN, behind one interface: ``fit``, ``predict``.

Every candidate takes :class:`Days` (scaled day tensors with their diameter grid) and
returns one class per day, so the held-out evaluation treats them all alike. The CNN is
trained by its own node (a Keras model, saved as ``.keras``, on the ``gpu`` compute) and
wrapped in :class:`NetworkClassifier` for the comparison.

Adding a candidate: any scikit-learn classifier on the day features is a parameter change
only (``kind: feature_classifier`` with its import path, see
``parameters_particle_classification.yml``); anything else is one small class registered
in :data:`CANDIDATE_KINDS`.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from mlops_lab.aerosol.features import day_features


@dataclass(frozen=True)
class Days:
    """Scaled day tensors ``days x channels x steps`` and the grid they are on."""

    x: np.ndarray
    diameters_nm: np.ndarray
    step_minutes: int

    def features(self) -> pd.DataFrame:
        """Hand-made features, one row per day (:func:`mlops_lab.aerosol.features.day_features`)."""
        return day_features(self.x, self.diameters_nm, self.step_minutes)

    def __len__(self) -> int:
        return len(self.x)


class DayClassifier:
    """Base class: fit on labelled days, predict one class per day."""

    def fit(self, days: Days, labels: np.ndarray) -> DayClassifier:
        raise NotImplementedError

    def predict(self, days: Days) -> np.ndarray:
        raise NotImplementedError


class MajorityClass(DayClassifier):
    """The most frequent class of the training days, for every day (the floor to beat)."""

    def __init__(self, seed: int | None = None) -> None:
        self.seed = seed

    def fit(self, days: Days, labels: np.ndarray) -> MajorityClass:
        values, counts = np.unique(np.asarray(labels), return_counts=True)
        if len(values) == 0:
            raise ValueError("majority_class: no training days.")
        self.majority_ = str(values[np.argmax(counts)])
        return self

    def predict(self, days: Days) -> np.ndarray:
        return np.full(len(days), self.majority_, dtype=object)


class FeatureClassifier(DayClassifier):
    """A scikit-learn classifier on :meth:`Days.features` (gradient boosting by default).

    Args:
        estimator: Import path of the classifier class.
        settings: Its keyword arguments.
        threads: OpenMP/BLAS threads while fitting (1 keeps it fast on a busy machine,
            where spinning threads stall each other); None leaves the libraries' default.
        seed: ``random_state`` for classifiers that take one.
    """

    def __init__(
        self,
        estimator: str = "sklearn.ensemble.HistGradientBoostingClassifier",
        settings: Mapping[str, Any] | None = None,
        threads: int | None = 1,
        seed: int | None = None,
    ) -> None:
        self.estimator = estimator
        self.settings = dict(settings or {})
        self.threads = threads
        self.seed = seed

    def _new_estimator(self) -> Any:
        module_name, _, class_name = self.estimator.rpartition(".")
        try:
            cls = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError, ValueError):
            raise ValueError(
                f"feature_classifier: cannot import estimator '{self.estimator}'."
            ) from None
        settings = dict(self.settings)
        if "random_state" in inspect.signature(cls).parameters and self.seed is not None:
            settings.setdefault("random_state", self.seed)
        return cls(**settings)

    def fit(self, days: Days, labels: np.ndarray) -> FeatureClassifier:
        features = days.features()
        with threadpool_limits(limits=self.threads):
            self.model_ = self._new_estimator().fit(features, np.asarray(labels))
        self.feature_names_ = list(features.columns)
        return self

    def predict(self, days: Days) -> np.ndarray:
        return np.asarray(self.model_.predict(days.features()[self.feature_names_]))


class NetworkClassifier(DayClassifier):
    """A trained Keras network (softmax over ``classes``) as a candidate."""

    def __init__(self, network: Any, classes: Sequence[str]) -> None:
        self.network = network
        self.classes = [str(c) for c in classes]

    def probabilities(self, days: Days) -> np.ndarray:
        return np.asarray(self.network.predict(days.x, verbose=0))

    def predict(self, days: Days) -> np.ndarray:
        return np.array(self.classes, dtype=object)[self.probabilities(days).argmax(axis=1)]


CANDIDATE_KINDS: dict[str, type[DayClassifier]] = {
    "majority_class": MajorityClass,
    "feature_classifier": FeatureClassifier,
}


def build_candidate(spec: Mapping[str, Any], seed: int | None = None) -> DayClassifier:
    """A candidate from its parameters: ``name``, ``kind`` and the class's arguments.

    Raises:
        ValueError: naming the candidate, when its kind is unknown or an argument is not
            one its class takes.
    """
    name = spec.get("name", "?")
    kind = spec.get("kind")
    if kind not in CANDIDATE_KINDS:
        raise ValueError(
            f"candidate '{name}': kind {kind!r}; expected one of {sorted(CANDIDATE_KINDS)}."
        )
    arguments = {k: v for k, v in spec.items() if k not in ("name", "kind")}
    try:
        return CANDIDATE_KINDS[kind](**arguments, seed=seed)
    except TypeError as error:
        raise ValueError(f"candidate '{name}' ({kind}): {error}.") from None
