"""``particle_classification`` and ``classify_days`` end to end in a Kedro session (env test).

Real MLflow on SQLite in a throw-away project: the first training registers version 1 and
promotes it; a deliberately worse second training (learning rate 0: the network never
leaves its random start) registers version 2, which stays ``@challenger``; inference loads
``@champion`` unless a runtime parameter names another version.
"""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from tests.kedro_helpers import latest_version

from mlops_lab.pipelines.particle_classification import create_pipeline

MODEL = "aerosol-event-classifier"
WORSE = {"particle_classification": {"cnn": {"architecture": {"learning_rate": 0.0}}}}


def _versions(name: str) -> list[int]:
    client = mlflow.MlflowClient()
    return sorted(int(v.version) for v in client.search_model_versions(f"name='{name}'"))


def _run(project: Path, pipeline: str, runtime_params: dict | None = None) -> None:
    with KedroSession.create(
        project_path=project, env="test", runtime_params=runtime_params
    ) as session:
        session.run(pipeline_names=[pipeline])


def _predictions(project: Path) -> pd.DataFrame:
    return pd.read_csv(
        latest_version(project / "data/07_model_output/aerosol/day_predictions.csv"),
        keep_default_na=False,
        dtype={"model_version": str},
    )


def test_pipeline_ends_with_the_gate_and_tags_training_for_the_gpu_cluster():
    nodes = {n.name: n for n in create_pipeline().nodes}
    assert {"training", "gpu"} <= nodes["train_cnn"].tags
    assert "gpu" not in nodes["train_baselines"].tags
    assert all("training" in n.tags for n in nodes.values())
    gate = nodes["promote_aerosol_event_classifier"]
    assert gate.inputs == [
        "aerosol_event_classifier_challenger",
        "aerosol_event_classifier_incumbent",
        "aerosol_event_classifier_promotion_scores",
        "params:particle_classification.promotion",
    ]
    assert nodes["score_promotion_candidates"].outputs == [
        "aerosol_event_classifier_promotion_scores"
    ]


@pytest.mark.slow
def test_training_registers_gates_and_classify_days_uses_the_champion(kedro_project: Path):
    _run(kedro_project, "aerosol_simulation")
    _run(kedro_project, "aerosol_data")
    _run(kedro_project, "particle_classification")
    uri = f"sqlite:///{kedro_project / 'mlruns.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = mlflow.MlflowClient()
    assert _versions(MODEL) == [1]
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"

    reporting = kedro_project / "data/08_reporting/aerosol"
    split = json.loads(
        latest_version(kedro_project / "data/05_model_input/aerosol/split.json").read_text()
    )
    n_test = len(split["test"])
    board = pd.read_csv(latest_version(reporting / "leaderboard.csv")).set_index("model")
    assert set(board.index) == {"cnn", "feature_baseline", "majority_class"}
    assert (board["test_days"] == n_test).all()
    first = json.loads(latest_version(reporting / "promotion.json").read_text())
    assert first["promoted"] and first["reason"].startswith("no champion yet")
    # The registered pyfunc, fed the raw export rows of the test days, gives the same
    # accuracy as the CNN scored on the model-input tensors: serving reproduces training.
    assert first["challenger"]["score"] == pytest.approx(board.loc["cnn", "accuracy"])
    assert first["metric"] == "aerosol.heldout.accuracy"
    assert first["data"].startswith(f"{n_test} held-out days (time_blocks split")
    assert first["challenger"]["score"] > board.loc["majority_class", "accuracy"]

    experiment = mlflow.get_experiment_by_name("aerosol-training")
    (run,) = mlflow.search_runs([experiment.experiment_id], output_format="list")
    metrics = run.data.metrics
    assert metrics["aerosol.heldout.cnn.accuracy"] == pytest.approx(board.loc["cnn", "accuracy"])
    assert metrics["aerosol.heldout.majority_class.accuracy"] == pytest.approx(
        board.loc["majority_class", "accuracy"]
    )
    assert not [k for k in metrics if not k.startswith("aerosol.")]
    history = client.get_metric_history(run.info.run_id, "aerosol.epoch.cnn.m1.val_loss")
    assert [m.step for m in history] == list(range(1, len(history) + 1)) and history
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert artifacts == {
        "plots/confusion_matrix.png",
        "plots/training_curves.png",
        "plots/occlusion.png",
    }
    reports = {a.path for a in client.list_artifacts(run.info.run_id, "reports")}
    assert reports == {"reports/aerosol-event-classifier-report.html"}
    html = latest_version(reporting / "report.html").read_text()
    assert "<h2>Model card</h2>" in html and "<h2>Explanations</h2>" in html
    assert client.get_model_version(MODEL, "1").run_id == run.info.run_id

    _run(kedro_project, "particle_classification", WORSE)
    assert _versions(MODEL) == [1, 2]
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"
    assert str(client.get_model_version_by_alias(MODEL, "challenger").version) == "2"
    second = json.loads(latest_version(reporting / "promotion.json").read_text())
    assert not second["promoted"]
    assert second["champion"]["version"] == "1"
    assert second["champion"]["score"] == pytest.approx(first["challenger"]["score"])
    assert second["challenger"]["score"] < second["champion"]["score"]
    assert "worse than champion v1" in second["reason"]
    tags = client.get_model_version(MODEL, "2").tags
    assert tags["promotion.decision"] == "kept_challenger"
    assert "worse than champion v1" in tags["promotion.reason"]
    assert float(tags["metric.aerosol.heldout.accuracy"]) == second["challenger"]["score"]

    _run(kedro_project, "classify_days")
    predictions = _predictions(kedro_project)
    assert set(predictions["model_name"]) == {MODEL}
    assert set(predictions["model_version"]) == {"1"}  # @champion, not the newest version
    day_quality = pd.read_parquet(
        kedro_project / "data/02_intermediate/aerosol/day_quality.parquet"
    )
    assert len(predictions) == len(day_quality)  # every day with data is listed
    not_classified = predictions[predictions["status"] == "not classified"]
    assert len(not_classified) == int((~day_quality["kept"]).sum())
    assert not_classified["reason"].str.len().gt(0).all()
    classified = predictions[predictions["status"] == "classified"]
    assert set(classified["predicted_class"]) <= {"event", "undefined", "nonevent"}

    _run(kedro_project, "classify_days", {"aerosol_event_classifier_model": "2"})
    assert set(_predictions(kedro_project)["model_version"]) == {"2"}
