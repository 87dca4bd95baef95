"""``particle_classification`` and ``classify_days`` end to end in a Kedro session (env test)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from tests.kedro_helpers import latest_version

from mlops_lab.pipelines.particle_classification import create_pipeline


def _versions(name: str) -> list[int]:
    client = mlflow.MlflowClient()
    return sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))


def test_training_node_is_tagged_for_the_gpu_cluster():
    nodes = {n.name: n for n in create_pipeline().nodes}
    assert {"training", "gpu"} <= nodes["train_cnn"].tags
    assert "gpu" not in nodes["train_feature_baseline"].tags


@pytest.mark.slow
def test_training_tracks_registers_and_classify_days_uses_the_model(kedro_project: Path):
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["aerosol_simulation", "aerosol_data"])
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["particle_classification"])
    mlflow.set_tracking_uri(f"sqlite:///{kedro_project / 'mlruns.db'}")
    mlflow.set_registry_uri(f"sqlite:///{kedro_project / 'mlruns.db'}")
    assert _versions("aerosol-event-classifier") == [1]

    reporting = kedro_project / "data/08_reporting/aerosol"
    split = json.loads(
        latest_version(kedro_project / "data/05_model_input/aerosol/split.json").read_text()
    )
    confusion = pd.read_csv(latest_version(reporting / "confusion_matrix.csv")).set_index("true")
    assert confusion.to_numpy().sum() == len(split["test"]) > 0
    board = pd.read_csv(latest_version(reporting / "leaderboard.csv"))
    assert set(board["model"]) == {"cnn", "feature_baseline", "majority_class"}
    assert (board["test_days"] == len(split["test"])).all()

    experiment = mlflow.get_experiment_by_name("aerosol-training")
    runs = mlflow.search_runs([experiment.experiment_id], output_format="list")
    assert len(runs) == 1
    run = runs[0]
    assert run.data.metrics["heldout.cnn.accuracy"] == pytest.approx(
        board.set_index("model").loc["cnn", "accuracy"]
    )
    assert "heldout.cnn.training_seconds" in run.data.metrics
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "epoch.cnn.m0.val_loss")
    assert [m.step for m in history] == list(range(1, len(history) + 1)) and len(history) >= 1
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id, "plots")}
    assert artifacts == {"plots/confusion_matrix.png", "plots/training_curves.png"}
    samples = mlflow.MlflowClient().list_artifacts(run.info.run_id, "samples")
    assert {a.path for a in samples} == {"samples/raw_sample.csv", "samples/labels_sample.csv"}
    assert run.data.params["particle_classification.label_scheme"] == "label3"

    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["particle_classification"])
    assert _versions("aerosol-event-classifier") == [1, 2]

    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["classify_days"])
    predictions = pd.read_csv(
        latest_version(kedro_project / "data/07_model_output/aerosol/day_predictions.csv"),
        keep_default_na=False,
    )
    day_quality = pd.read_parquet(
        kedro_project / "data/02_intermediate/aerosol/day_quality.parquet"
    )
    assert len(predictions) == len(day_quality)  # every day with data is listed
    not_classified = predictions[predictions["status"] == "not classified"]
    assert len(not_classified) == int((~day_quality["kept"]).sum())
    assert not_classified["reason"].str.len().gt(0).all()
    classified = predictions[predictions["status"] == "classified"]
    assert set(classified["predicted_class"]) <= {"event", "undefined", "nonevent"}
