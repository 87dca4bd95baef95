"""The one registration mechanism and the promotion gate, on a real SQLite MLflow registry."""

from __future__ import annotations

from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError
from mlflow.models import ModelSignature, infer_signature
from mlflow.tracking import MlflowClient

from mlops_lab.promotion import decide_promotion
from mlops_lab.registry import (
    ChampionAliasDataset,
    RegisteredModel,
    RegisteredModelDataset,
    code_closure,
    derived_requirements,
    pickled_modules,
)

pytestmark = pytest.mark.slow
NAME = "toy-regressor"


class ScaledModel(mlflow.pyfunc.PythonModel):
    """y = factor * x: small enough to register in a test, real enough to be served."""

    def __init__(self, factor: float) -> None:
        self.factor = factor
        self.coefficients = np.array([factor])
        self.input_example = pd.DataFrame({"x": [1.0, 2.0]})

    def signature(self) -> ModelSignature:
        return infer_signature(self.input_example, self.predict(None, self.input_example))

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        return pd.DataFrame({"y": self.factor * pd.DataFrame(model_input)["x"].astype(float)})


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(uri, uri)


def _register(factor: float) -> RegisteredModel:
    dataset = RegisteredModelDataset(model_name=NAME, reference="challenger")
    with mlflow.start_run():
        dataset.save(ScaledModel(factor))
    return dataset.load()


def test_a_saved_model_is_a_new_version_aliased_challenger_and_loads_back(registry):
    first = _register(2.0)
    second = _register(3.0)
    assert (first.version, second.version) == ("1", "2")
    assert second.aliases[0] == "challenger"
    assert str(registry.get_model_version_by_alias(NAME, "challenger").version) == "2"
    predicted = second.predict(pd.DataFrame({"x": [1.0, 4.0]}))
    assert predicted["y"].tolist() == [3.0, 12.0]
    by_version = RegisteredModelDataset(model_name=NAME, reference=1).load()
    assert by_version.predict(pd.DataFrame({"x": [4.0]}))["y"].tolist() == [8.0]
    # The served model is the one in the registry: same input example and signature.
    served = mlflow.pyfunc.load_model(f"models:/{NAME}@challenger")
    assert served.metadata.get_input_schema().input_names() == ["x"]


def test_requirements_are_derived_and_pinned_not_copied(registry):
    model = _register(2.0)
    local = mlflow.artifacts.download_artifacts(f"models:/{NAME}/{model.version}")
    requirements = (Path(local) / "requirements.txt").read_text().split()
    assert f"pandas=={pd.__version__}" in requirements
    assert f"numpy=={np.__version__}" in requirements
    assert f"mlflow=={mlflow.__version__}" in requirements
    assert not any(line.startswith("tensorflow") for line in requirements)


def test_the_artifact_carries_only_the_project_code_its_class_imports():
    project, third_party = code_closure(["mlops_lab.battery.model"])
    assert "mlops_lab.battery.model" in project and "mlops_lab.validation" in project
    assert not any(
        module.startswith(("mlops_lab.pipelines", "mlops_lab.simulators", "mlops_lab.azure"))
        for module in project
    )
    assert {"pandas", "numpy"} <= third_party
    pins = derived_requirements(third_party)
    assert all("==" in pin for pin in pins)
    assert not any(pin.startswith("mlflow-") for pin in pins)


def test_pickled_classes_name_their_modules():
    assert {"numpy", "test_registry"} & pickled_modules(ScaledModel(1.0)) >= {"numpy"}


def test_a_missing_alias_is_none_for_the_gate_and_a_clear_error_elsewhere(registry):
    _register(2.0)
    assert RegisteredModelDataset(NAME, reference="champion", missing_ok=True).load() is None
    with pytest.raises(DatasetError, match=r"'toy-regressor' has no alias 'champion'"):
        RegisteredModelDataset(NAME, reference="champion").load()
    with pytest.raises(DatasetError, match=r"has no version '9'"):
        RegisteredModelDataset(NAME, reference="9").load()


def test_a_model_without_input_example_is_refused(registry):
    class Bare(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    with pytest.raises(DatasetError, match="has no 'input_example'"):
        RegisteredModelDataset(NAME).save(Bare())


def _gate(challenger, champion, challenger_score, champion_score, greater=True):
    decision, report = decide_promotion(
        challenger,
        champion,
        {"challenger": challenger_score, "champion": champion_score, "data": "toy holdout"},
        {"metric": "toy.heldout.rmse", "greater_is_better": greater, "min_improvement": 0.0},
    )
    assert decision == report
    return decision


def test_the_gate_promotes_the_first_version_and_refuses_a_worse_one(registry):
    gate = ChampionAliasDataset(model_name=NAME)
    first = _register(2.0)
    decision = _gate(first, None, 0.5, None, greater=False)
    gate.save(decision)
    assert decision["promoted"] and "no champion yet" in decision["reason"]
    assert str(registry.get_model_version_by_alias(NAME, "champion").version) == first.version

    champion = RegisteredModelDataset(NAME, reference="champion", missing_ok=True).load()
    worse = _register(5.0)
    decision = _gate(worse, champion, 0.9, 0.5, greater=False)
    with mlflow.start_run() as run:
        gate.save(decision)
    assert not decision["promoted"]
    assert "worse than champion v1" in decision["reason"]
    assert str(registry.get_model_version_by_alias(NAME, "champion").version) == "1"
    tags = registry.get_model_version(NAME, worse.version).tags
    assert tags["promotion.decision"] == "kept_challenger"
    assert tags["promotion.challenger_score"] == "0.9"
    assert tags["promotion.champion_version"] == "1"
    assert tags["promotion.champion_score"] == "0.5"
    logged = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/promotion/{NAME}.json")
    assert logged["promoted"] is False

    equal = _register(2.0)
    decision = _gate(equal, champion, 0.5, 0.5, greater=False)
    gate.save(decision)
    assert decision["promoted"], "at least as good is enough"
    assert str(registry.get_model_version_by_alias(NAME, "champion").version) == equal.version


def test_the_gate_refuses_scores_it_cannot_compare():
    model = RegisteredModel("m", "2", None, ("challenger",), None)
    old = RegisteredModel("m", "1", None, ("champion",), None)
    with pytest.raises(ValueError, match=r"scores.challenger \(toy.heldout.rmse\) must be finite"):
        _gate(model, None, float("nan"), None)
    with pytest.raises(ValueError, match=r"scores.champion .* must be a number, got None"):
        _gate(model, old, 0.5, None)
    assert _gate(model, old, 0.6, 0.5)["promoted"]
    assert not _gate(model, old, 0.6, 0.5, greater=False)["promoted"]


def test_a_decision_for_another_model_is_refused(registry):
    first = _register(2.0)
    decision = _gate(first, None, 0.5, None)
    with pytest.raises(DatasetError, match="moves the champion of 'other-model'"):
        ChampionAliasDataset(model_name="other-model").save(decision)


def test_the_summary_lists_runs_versions_and_aliases(registry):
    from mlops_lab.mlflow_summary import summary_lines

    first = _register(2.0)
    ChampionAliasDataset(model_name=NAME).save(_gate(first, None, 0.5, None))
    lines = summary_lines(registry)
    assert lines[0] == "experiments and runs:"
    version_line = next(line for line in lines if line.strip().startswith("v1 "))
    assert "@champion,challenger" in version_line or "@challenger,champion" in version_line
    assert "promoted: toy.heldout.rmse 0.5" in version_line
