"""``component_compliance`` as a pipeline: in-memory slice, and a tracked Kedro session."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from mlflow import MlflowClient
from tests.kedro_helpers import KeptMemoryDataset, latest_version

from mlops_lab.components.model import ComponentComplianceModel
from mlops_lab.components.text import normalise_text
from mlops_lab.pipelines.component_compliance import create_pipeline
from mlops_lab.simulators.component_texts import generate_component_texts

PARAMS = {
    "max_tokens": 1000,
    "sequence_length": 15,
    "model": {
        "embedding_dim": 8,
        "embedding_trainable": True,
        "lstm_units": 8,
        "dropout": 0.2,
        "recurrent_dropout": 0.2,
    },
    "training": {"learning_rate": 0.01, "epochs": 1, "batch_size": 64, "verbose": 0},
    "embeddings_path": None,
    "seed": 1,
    "threshold": 0.5,
    "max_chars": 500,
}


def _texts(n: int, seed: int) -> pd.DataFrame:
    raw = generate_component_texts(n, seed=seed)
    return raw.assign(text=raw["text"].map(normalise_text))


@pytest.mark.slow
def test_pipeline_on_an_in_memory_catalog():
    params = {f"params:component_compliance.{k}": MemoryDataset(v) for k, v in PARAMS.items()}
    params["params:component_compliance.training.learning_rate"] = MemoryDataset(0.01)
    pipe = create_pipeline()
    catalog = DataCatalog(
        {
            "component_texts_train": MemoryDataset(_texts(400, 1)),
            "component_texts_validation": MemoryDataset(_texts(100, 2)),
            "component_texts_test": MemoryDataset(_texts(100, 3)),
            **params,
        }
        | {name: KeptMemoryDataset() for name in pipe.all_outputs()}
    )
    SequentialRunner().run(pipe, catalog)
    assert isinstance(catalog.load("component_compliance_pyfunc"), ComponentComplianceModel)
    assert len(catalog.load("component_test_predictions")) == 100
    assert catalog.load("component_learning_rate") == 0.01
    assert set(catalog.load("component_eval_metrics")) == {"eval_loss", "eval_accuracy"}
    slices = catalog.load("component_slice_accuracy")
    assert slices.set_index("slice").loc["all", "n"] == 100
    assert catalog.load("component_compliance_run")["run_id"] is None  # no MLflow run here


@pytest.mark.slow
def test_session_tracks_metrics_artifacts_and_registers_a_version_per_run(kedro_project: Path):
    for name in ("component_simulation", "component_data", "component_compliance"):
        with KedroSession.create(project_path=kedro_project, env="test") as session:
            session.run(pipeline_name=name)

    # The project's store (conf/base/mlflow.yml: sqlite:///mlruns.db, relative to the project).
    # Absolute here: MLflow caches stores by URI, so a relative URI could reach the store of
    # an earlier test's project in the same process.
    uri = f"sqlite:///{kedro_project / 'mlruns.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("Car-Parts-Compliance-Classifier")
    (run,) = client.search_runs([experiment.experiment_id])
    metrics = run.data.metrics
    expected = {"lr", "loss", "accuracy", "val_loss", "val_accuracy", "eval_loss", "eval_accuracy"}
    assert expected <= set(metrics)
    assert {"test_f1_non_compliant", "slice_accuracy_year_1994", "slice_accuracy_year_1995"} <= (
        set(metrics)
    )
    assert metrics["lr"] == 0.005  # conf/test/parameters_component_compliance.yml
    assert len(client.get_metric_history(run.info.run_id, "val_accuracy")) == 1  # one epoch
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"training_results.png", "training_history.json", "confusion_matrix.png"} <= artifacts

    (version,) = client.search_model_versions("name = 'component-compliance'")
    assert version.run_id == run.info.run_id
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    model_uri = f"models:/component-compliance/{version.version}"
    info = mlflow.models.get_model_info(model_uri)
    assert info.signature.inputs.input_names() == ["text"]
    assert info.signature.outputs.input_names() == ["probability", "label"]
    loaded = mlflow.pyfunc.load_model(model_uri)
    out = loaded.predict(pd.DataFrame({"text": ["IRON bracket, made in 1980!", "steel part"]}))
    assert list(out.columns) == ["probability", "label"]
    assert out["probability"].between(0, 1).all()

    reporting = kedro_project / "data/08_reporting/components"
    location = json.loads(latest_version(reporting / "mlflow_run.json").read_text())
    assert location["run_id"] == run.info.run_id
    assert location["registered_models"] == [{"name": "component-compliance", "version": 1}]
    misclassified = pd.read_csv(latest_version(reporting / "misclassified_test_texts.csv"))
    assert {"text", "label", "probability", "true_label_reason"} <= set(misclassified.columns)

    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(
            pipeline_name="component_compliance",
            node_names=["package_compliance_model", "log_tracking_location"],
        )
    versions = client.search_model_versions("name = 'component-compliance'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
