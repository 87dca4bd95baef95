"""``component_compliance`` as a pipeline: a slice on a real registry, and tracked sessions."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from mlflow import MlflowClient
from tests.components.small_model import MODEL, TRAINING, WINDOW, generated_texts
from tests.kedro_helpers import KeptMemoryDataset, latest_version

from mlops_lab.pipelines.component_compliance import create_pipeline
from mlops_lab.registry import ChampionAliasDataset, RegisteredModelDataset

MODEL_NAME = "component-compliance"
ROOT = Path(__file__).resolve().parents[3]
BASE = yaml.safe_load((ROOT / "conf/base/parameters_component_compliance.yml").read_text())[
    "component_compliance"
]
PARAMS = {
    "max_tokens": 100,
    "window": WINDOW,
    "model": MODEL,
    "training": TRAINING,
    "seed": 3,
    "calibration": BASE["calibration"] | {"recall_floor": 0.98},
    "max_chars": 500,
    "input_example": ["Iron part, made in 1999."],
    "evaluation": BASE["evaluation"] | {"bootstrap": {"resamples": 100, "level": 0.95, "seed": 0}},
    "evaluation.bootstrap": {"resamples": 100, "level": 0.95, "seed": 0},
    "baseline": BASE["baseline"],
    "promotion": BASE["promotion"],
}
# A deliberately worse training: one epoch at a learning rate too small to learn anything.
WORSE_TRAINING = {**TRAINING, "learning_rate": 1e-6, "max_epochs": 1}


def _catalog(params: dict, splits: dict[str, pd.DataFrame]) -> DataCatalog:
    pipe = create_pipeline()
    registered = {
        "component_compliance_challenger": RegisteredModelDataset(MODEL_NAME, "challenger"),
        "component_compliance_incumbent": RegisteredModelDataset(
            MODEL_NAME, "champion", missing_ok=True
        ),
        "component_compliance_promotion": ChampionAliasDataset(MODEL_NAME),
    }
    return DataCatalog(
        {f"params:component_compliance.{k}": MemoryDataset(v) for k, v in params.items()}
        | {f"component_texts_{name}": MemoryDataset(frame) for name, frame in splits.items()}
        | {name: KeptMemoryDataset() for name in pipe.all_outputs() - set(registered)}
        | registered
    )


@pytest.mark.slow
def test_slice_promotes_the_first_version_and_not_a_worse_second_one(mlflow_sqlite: str):
    splits = {
        "train": generated_texts(2000, seed=11),
        "validation": generated_texts(400, seed=12),
        "test": generated_texts(300, seed=13),
    }
    first = _catalog(PARAMS, splits)
    SequentialRunner().run(create_pipeline(), first)
    report = first.load("component_compliance_promotion_report")
    assert report["promoted"] is True
    assert report["reason"] == "no champion yet: the challenger becomes it"
    assert report["challenger"]["score"] == first.load("component_test_metrics")["accuracy"]
    calibration = first.load("component_calibration")
    assert report["challenger"]["score"] >= 0.93, calibration
    assert calibration["validation_recall_at_threshold"] >= 0.98
    assert calibration["threshold"] <= 0.5
    champion = RegisteredModelDataset(MODEL_NAME, "champion").load()
    assert champion.python_model.threshold == calibration["threshold"]
    assert champion.python_model.temperature == calibration["temperature"]
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == "1"

    worse = copy.deepcopy(PARAMS) | {"training": WORSE_TRAINING}
    second = _catalog(worse, splits)
    SequentialRunner().run(create_pipeline(), second)
    report = second.load("component_compliance_promotion_report")
    scores = second.load("component_compliance_promotion_scores")
    assert report["promoted"] is False
    assert scores["champion"] == first.load("component_compliance_promotion_scores")["challenger"]
    assert scores["challenger"] < scores["champion"]
    assert "challenger v2 components.test.accuracy=" in report["reason"]
    assert "worse than champion v1" in report["reason"]
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == "1"
    assert str(client.get_model_version_by_alias(MODEL_NAME, "challenger").version) == "2"
    tags = client.get_model_version(MODEL_NAME, "2").tags
    assert tags["promotion.decision"] == "kept_challenger"
    assert "worse than champion v1" in tags["promotion.reason"]
    assert float(tags["metric.components.test.accuracy"]) == pytest.approx(scores["challenger"])


@pytest.mark.slow
def test_session_tracks_by_the_naming_rule_and_gates_promotion(kedro_project: Path):
    for name in ("component_simulation", "component_data", "component_compliance"):
        with KedroSession.create(project_path=kedro_project, env="test") as session:
            session.run(pipeline_names=[name])

    # The project's store (sqlite:///mlruns.db, relative to the project). Absolute here:
    # MLflow caches stores by URI, so a relative URI could reach an earlier test's store.
    uri = f"sqlite:///{kedro_project / 'mlruns.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name("Car-Parts-Compliance-Classifier")
    (run,) = client.search_runs([experiment.experiment_id])
    metrics = run.data.metrics
    assert {
        "components.epoch.loss",
        "components.validation.accuracy",
        "components.test.accuracy",
        "components.test.f1_non_compliant",
        "components.test.ece",
        "components.validation.ece_raw",
        "components.validation.ece_calibrated",
        "components.validation.threshold",
        "components.test.slice.fact_after_token_15.recall_non_compliant",
        "components.test.slice.fact_after_token_15.rule_reader.recall_non_compliant",
        "components.test.slice.hard_case_negation.accuracy",
        "components.test.slice.words_26_40.precision_non_compliant",
    } <= set(metrics)
    assert all(key.startswith("components.") for key in metrics), sorted(metrics)
    history = client.get_metric_history(run.info.run_id, "components.validation.loss")
    assert [m.step for m in history] == list(range(1, len(history) + 1))
    assert len(history) <= 2  # conf/test: at most two epochs
    assert run.data.params["component_compliance.training.learning_rate"] == "0.01"
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {
        "training_results.png",
        "training_history.json",
        "confusion_matrix.png",
        "reliability_diagram.png",
    } <= artifacts

    (version,) = client.search_model_versions(f"name = '{MODEL_NAME}'")
    assert version.run_id == run.info.run_id
    aliases = client.get_model_version(MODEL_NAME, version.version).aliases
    assert set(aliases) == {"challenger", "champion"}
    reporting = kedro_project / "data/08_reporting/components"
    report = json.loads(latest_version(reporting / "promotion.json").read_text())
    assert report["promoted"] is True
    assert report["challenger"]["run_id"] == run.info.run_id
    assert report["challenger"]["score"] == metrics["components.test.accuracy"]
    misclassified = pd.read_csv(latest_version(reporting / "misclassified_test_texts.csv"))
    assert {"text", "label", "probability", "true_label_reason", "slices", "hard_case"} <= set(
        misclassified.columns
    )
    board = pd.read_csv(latest_version(reporting / "leaderboard.csv"))
    assert set(board["model"]) == {"char_bilstm", "tfidf_logreg", "rule_reader"}
    assert board["accuracy"].is_monotonic_decreasing
    assert "components.test.tfidf_logreg.accuracy" in metrics
    slices = pd.read_csv(latest_version(reporting / "slice_accuracy.csv"))
    assert set(slices["model"]) == {"model", "rule_reader"}
    assert (slices["accuracy_low"] <= slices["accuracy"]).all()
    assert (slices["accuracy"] <= slices["accuracy_high"]).all()

    worse = {"component_compliance": {"training": {"learning_rate": 1e-6, "max_epochs": 1}}}
    with KedroSession.create(
        project_path=kedro_project, env="test", runtime_params=worse
    ) as session:
        session.run(pipeline_names=["component_compliance"])
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == "1"
    second = client.get_model_version(MODEL_NAME, "2")
    assert second.aliases == ["challenger"]
    assert second.tags["promotion.decision"] == "kept_challenger"
    report = json.loads(latest_version(reporting / "promotion.json").read_text())
    assert report["promoted"] is False
    assert "worse than champion v1" in report["reason"]
