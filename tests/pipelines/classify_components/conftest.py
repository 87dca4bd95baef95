"""A small but real ``component-compliance`` pyfunc for the inference tests."""

from __future__ import annotations

import mlflow
import pytest

from mlops_lab.components.model import ComponentComplianceModel
from mlops_lab.components.vectoriser import build_classifier, fit_vocabulary

WORDS = ["made of steel in good condition 2001", "plastic part made in 1980", "iron part 1999"]


def tiny_package() -> ComponentComplianceModel:
    """An untrained network with a fitted vocabulary: enough to exercise the plumbing."""
    vocabulary = fit_vocabulary(WORDS, max_tokens=100)
    network = build_classifier(len(vocabulary), 15, 4, 4, 0.0, 0.0, 0.01)
    return ComponentComplianceModel(network, vocabulary, sequence_length=15, max_chars=60)


@pytest.fixture(scope="module")
def pyfunc_model(tmp_path_factory):
    """The package saved and loaded back through MLflow, as the catalog would give it."""
    path = tmp_path_factory.mktemp("model") / "component-compliance"
    mlflow.pyfunc.save_model(path, python_model=tiny_package(), pip_requirements=["mlflow"])
    return mlflow.pyfunc.load_model(str(path))
