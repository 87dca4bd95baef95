"""Day-classifier candidates: built from parameters, fitted and compared alike."""

from __future__ import annotations

import numpy as np
import pytest
from tests.pipelines.particle_classification.conftest import tiny_model_input

from mlops_lab.aerosol.candidates import (
    CANDIDATE_KINDS,
    Days,
    FeatureClassifier,
    MajorityClass,
    build_candidate,
)


@pytest.fixture
def days_and_labels() -> tuple[Days, np.ndarray]:
    model_input = tiny_model_input(n_days=60)
    days = Days(model_input["x"], model_input["diameters_nm"], 10)
    return days, model_input["label3"]


def test_majority_class_predicts_the_most_frequent_training_class(days_and_labels):
    days, labels = days_and_labels
    skewed = np.where(np.arange(len(labels)) % 3 == 0, "event", "nonevent")
    model = build_candidate({"name": "majority_class", "kind": "majority_class"}).fit(days, skewed)
    assert isinstance(model, MajorityClass)
    assert model.predict(days).tolist() == ["nonevent"] * len(days)
    with pytest.raises(ValueError, match="no training days"):
        MajorityClass().fit(days, np.array([]))


def test_a_scikit_learn_classifier_is_a_parameter_change(days_and_labels):
    days, labels = days_and_labels
    spec = {
        "name": "logistic",
        "kind": "feature_classifier",
        "estimator": "sklearn.linear_model.LogisticRegression",
        "settings": {"max_iter": 500},
    }
    model = build_candidate(spec, seed=3).fit(days, labels)
    assert isinstance(model, FeatureClassifier)
    assert type(model.model_).__name__ == "LogisticRegression"
    assert model.model_.random_state == 3  # the seed reaches classifiers that take one
    assert (model.predict(days) == labels).mean() >= 0.9  # the tiny data separate easily
    assert model.feature_names_ == list(days.features().columns)


def test_gradient_boosting_is_seeded(days_and_labels):
    days, labels = days_and_labels
    spec = {"name": "gb", "kind": "feature_classifier", "settings": {"max_iter": 10}}
    first = build_candidate(spec, seed=1).fit(days, labels)
    again = build_candidate(spec, seed=1).fit(days, labels)
    assert first.model_.random_state == 1
    np.testing.assert_array_equal(first.predict(days), again.predict(days))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"name": "x", "kind": "svm"}, r"candidate 'x': kind 'svm'; expected one of \["),
        ({"name": "x", "kind": "majority_class", "depth": 3}, "candidate 'x' .majority_class."),
        ({"name": "x", "kind": "feature_classifier", "estimator": "sklearn.nope.Tree"}, "cannot"),
    ],
    ids=["unknown kind", "unknown argument", "unknown estimator"],
)
def test_bad_candidate_specs_name_the_candidate(days_and_labels, spec, message):
    days, labels = days_and_labels
    with pytest.raises(ValueError, match=message):
        build_candidate(spec).fit(days, labels)


def test_every_kind_fits_and_predicts_one_class_per_day(days_and_labels):
    days, labels = days_and_labels
    for kind in CANDIDATE_KINDS:
        model = build_candidate({"name": kind, "kind": kind}, seed=0).fit(days, labels)
        predicted = model.predict(days)
        assert len(predicted) == len(days) and set(predicted) <= set(labels)
