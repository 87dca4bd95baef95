"""``component_compliance`` as a pipeline: a slice on a real registry, and tracked sessions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.pandas import CSVDataset
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
    "attribution": {"per_class": 2, "seed": 0},
    "promotion": BASE["promotion"],
}
DATA_REPORT = {"rows_train": 2000, "families_train": 40}
INDEPENDENT_NOTES = ROOT / "data/01_raw/components/independent_notes.csv"
SEALED_NOTES = ROOT / "data/01_raw/components/sealed_notes.csv"
SEALED_NOTES_2 = ROOT / "data/01_raw/components/sealed_notes_2.csv"
CATALOG = yaml.safe_load((ROOT / "conf/base/catalog_components.yml").read_text())
# A deliberately worse training: one epoch at a learning rate too small to learn anything.
WORSE_TRAINING = {**TRAINING, "learning_rate": 1e-6, "max_epochs": 1}


def _catalog(params: dict, splits: dict[str, pd.DataFrame]) -> DataCatalog:
    pipe = create_pipeline()
    registered = {
        "component_compliance_challenger": RegisteredModelDataset(MODEL_NAME, "challenger"),
        "component_compliance_runner_up": RegisteredModelDataset(MODEL_NAME, "challenger"),
        "component_compliance_incumbent": RegisteredModelDataset(
            MODEL_NAME, "champion", missing_ok=True
        ),
        "component_compliance_promotion": ChampionAliasDataset(MODEL_NAME),
    }
    return DataCatalog(
        {f"params:component_compliance.{k}": MemoryDataset(v) for k, v in params.items()}
        | {f"component_texts_{name}": MemoryDataset(frame) for name, frame in splits.items()}
        | {"component_data_report": MemoryDataset(DATA_REPORT)}
        | {"component_independent_notes": CSVDataset(filepath=str(INDEPENDENT_NOTES))}
        | {
            name: CSVDataset(filepath=str(path), load_args={"keep_default_na": False})
            for name, path in (
                ("component_sealed_notes", SEALED_NOTES),
                ("component_sealed_notes_2", SEALED_NOTES_2),
            )
        }
        | {name: KeptMemoryDataset() for name in pipe.all_outputs() - set(registered)}
        | registered
    )


# A baseline that can hardly learn: three character n-grams, heavily regularised.
CRIPPLED_BASELINE = {"ngram_range": [2, 2], "max_features": 3, "C": 1e-4}


def _splits() -> dict[str, pd.DataFrame]:
    return {
        "train": generated_texts(2000, seed=11),
        "validation": generated_texts(400, seed=12),
        "test": generated_texts(300, seed=13),
    }


def _kinds_by_version(client: MlflowClient) -> dict[str, str]:
    return {
        str(v.version): RegisteredModelDataset(MODEL_NAME, v.version).load().python_model.kind
        for v in client.search_model_versions(f"name = '{MODEL_NAME}'")
    }


@pytest.mark.parametrize(
    ("dataset", "file"),
    [
        ("component_sealed_notes", "sealed_notes.csv"),
        ("component_sealed_notes_2", "sealed_notes_2.csv"),
    ],
)
def test_the_sealed_notes_are_raw_catalog_entries_read_by_the_notes_node_only(dataset, file):
    entry = CATALOG[dataset]
    assert entry["type"] == "pandas.CSVDataset"
    assert entry["filepath"] == f"${{globals:data_root}}/01_raw/components/{file}"
    assert entry["load_args"] == {"keep_default_na": False}
    assert entry["metadata"]["kedro-viz"]["layer"] == "raw"
    assert CATALOG["component_independent_notes"]["load_args"] == entry["load_args"]
    (node,) = create_pipeline().only_nodes("score_independent_notes").nodes
    assert node.inputs[2:5] == [
        "component_independent_notes",
        "component_sealed_notes",
        "component_sealed_notes_2",
    ]
    # Read by this node only: no choice of the pipeline reads the notes or their scores.
    readers = [n.name for n in create_pipeline().nodes if dataset in n.inputs]
    assert readers == ["score_independent_notes"]


@pytest.mark.slow
def test_the_gate_promotes_the_baseline_when_the_network_cannot_learn(mlflow_sqlite: str):
    splits = _splits()
    first = _catalog(PARAMS | {"training": WORSE_TRAINING}, splits)
    SequentialRunner().run(create_pipeline(), first)
    ranking = first.load("component_candidate_ranking")
    assert ranking["best"] == "tfidf_logreg"
    assert ranking["accuracy"]["tfidf_logreg"] >= 0.9 > ranking["accuracy"]["char_bilstm"] + 0.1
    client = MlflowClient()
    # Both candidates are versions of one name; the runner-up registered first.
    assert _kinds_by_version(client) == {"1": "char_bilstm", "2": "tfidf_logreg"}
    assert first.load("component_registration")["runner_up"] == {
        "kind": "char_bilstm",
        "version": "1",
    }
    report = first.load("component_compliance_promotion_report")
    assert report["promoted"] is True
    assert report["challenger"]["version"] == "2"
    assert report["challenger"]["score"] == ranking["accuracy"]["tfidf_logreg"]
    champion = RegisteredModelDataset(MODEL_NAME, "champion").load()
    assert champion.version == "2" and champion.python_model.kind == "tfidf_logreg"
    calibration = first.load("component_tfidf_calibration")
    assert champion.python_model.threshold == calibration["threshold"]
    assert calibration["validation_recall_at_threshold"] >= 0.98
    # The baseline refuses a note longer than the network's window, as the network does.
    window = first.load("component_vocabulary")["sequence_length"]
    assert champion.python_model.sequence_length == window
    assert "window" in champion.python_model.rejection_reason("steel good 2001 " + "x" * window)

    # A second run where neither candidate can learn: its better one stays @challenger.
    both_bad = PARAMS | {"training": WORSE_TRAINING, "baseline": CRIPPLED_BASELINE}
    second = _catalog(both_bad, splits)
    SequentialRunner().run(create_pipeline(), second)
    report = second.load("component_compliance_promotion_report")
    scores = second.load("component_compliance_promotion_scores")
    assert report["promoted"] is False
    assert scores["champion"] == ranking["accuracy"]["tfidf_logreg"]
    assert scores["challenger"] < scores["champion"]
    assert "worse than champion v2" in report["reason"]
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == "2"
    assert str(client.get_model_version_by_alias(MODEL_NAME, "challenger").version) == "4"
    tags = client.get_model_version(MODEL_NAME, "4").tags
    assert tags["promotion.decision"] == "kept_challenger"
    assert float(tags["metric.components.test.accuracy"]) == pytest.approx(scores["challenger"])


@pytest.mark.slow
def test_the_gate_promotes_the_network_over_a_baseline_that_cannot_learn(mlflow_sqlite: str):
    catalog = _catalog(PARAMS | {"baseline": CRIPPLED_BASELINE}, _splits())
    SequentialRunner().run(create_pipeline(), catalog)
    ranking = catalog.load("component_candidate_ranking")
    assert ranking["best"] == "char_bilstm"
    assert ranking["accuracy"]["char_bilstm"] >= 0.93
    assert ranking["accuracy"]["tfidf_logreg"] < ranking["accuracy"]["char_bilstm"] - 0.1
    assert _kinds_by_version(MlflowClient()) == {"1": "tfidf_logreg", "2": "char_bilstm"}
    report = catalog.load("component_compliance_promotion_report")
    assert report["promoted"] is True
    assert report["challenger"]["score"] == catalog.load("component_test_metrics")["accuracy"]
    assert report["challenger"]["score"] == ranking["accuracy"]["char_bilstm"]
    champion = RegisteredModelDataset(MODEL_NAME, "champion").load()
    assert champion.version == "2" and champion.python_model.kind == "char_bilstm"
    calibration = catalog.load("component_calibration")
    assert champion.python_model.threshold == calibration["threshold"]
    assert champion.python_model.temperature == calibration["temperature"]
    board = catalog.load("component_leaderboard").set_index("model")
    assert board.loc["char_bilstm", "ece_low"] <= board.loc["char_bilstm", "ece"]
    assert board.loc["char_bilstm", "ece"] <= board.loc["char_bilstm", "ece_high"]
    html = catalog.load("component_report")
    assert html == catalog.load("component_report_artifact")
    assert "Token attributions" in html and "char_bilstm" in html


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

    # Both candidates registered by this run; the better one (registered last) is champion.
    versions = client.search_model_versions(f"name = '{MODEL_NAME}'")
    assert sorted(str(v.version) for v in versions) == ["1", "2"]
    assert {v.run_id for v in versions} == {run.info.run_id}
    aliases = client.get_model_version(MODEL_NAME, "2").aliases
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
    assert latest_version(reporting / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert "reports/component-compliance-report.html" in {
        a.path for a in client.list_artifacts(run.info.run_id, "reports")
    }
    assert board["accuracy"].is_monotonic_decreasing
    assert "components.test.tfidf_logreg.accuracy" in metrics
    # Every set of hand-written notes: both candidates and the rule reader, logged (the
    # development set as components.independent.*, the sealed ones as components.sealed.*
    # and components.sealed_2.*) and written in one table.
    scored = pd.read_csv(latest_version(reporting / "independent_notes_scores.csv"))
    assert scored.columns[:2].tolist() == ["notes", "group"]
    assert list(dict.fromkeys(scored["notes"])) == ["development", "sealed", "sealed_2"]
    development = {"none", "boundary", "negation", "two_years", "compound", "typo"}
    for notes, stage, size, kinds in (
        ("development", "independent", 329, development),
        ("sealed", "sealed", 400, development | {"shorthand"}),
        ("sealed_2", "sealed_2", 300, development),
    ):
        own = scored[scored["notes"] == notes]
        overall = own[own["group"] == "all"].set_index("model")
        assert overall["n"].tolist() == [size, size, size]
        for model in ("char_bilstm", "tfidf_logreg", "rule_reader"):
            for figure in ("accuracy", "recall_non_compliant", "precision_non_compliant"):
                logged = metrics[f"components.{stage}.{model}.{figure}"]
                assert logged == pytest.approx(overall.loc[model, figure])
        per_kind = own[own["group"] != "all"]
        assert set(per_kind["group"]) == kinds
        assert per_kind.groupby("group")["n"].first().sum() == size
        for model in ("char_bilstm", "tfidf_logreg"):
            # The logged ECE is the table's, inside its bias-corrected interval (on a few
            # hundred notes the plain percentile interval can lie wholly above it).
            ece = metrics[f"components.{stage}.{model}.ece"]
            assert ece == pytest.approx(overall.loc[model, "ece"])
            assert 0 <= overall.loc[model, "ece_low"] <= ece <= overall.loc[model, "ece_high"] <= 1
    page = latest_version(reporting / "report.html").read_text()
    assert "Hand-written notes" in page and "Sealed notes" in page
    slices = pd.read_csv(latest_version(reporting / "slice_accuracy.csv"))
    assert set(slices["model"]) == {"model", "rule_reader"}
    assert (slices["accuracy_low"] <= slices["accuracy"]).all()
    assert (slices["accuracy"] <= slices["accuracy_high"]).all()

    worse = {
        "component_compliance": {
            "training": {"learning_rate": 1e-6, "max_epochs": 1},
            "baseline": CRIPPLED_BASELINE,
        }
    }
    with KedroSession.create(
        project_path=kedro_project, env="test", runtime_params=worse
    ) as session:
        session.run(pipeline_names=["component_compliance"])
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    assert str(client.get_model_version_by_alias(MODEL_NAME, "champion").version) == "2"
    fourth = client.get_model_version(MODEL_NAME, "4")
    assert fourth.aliases == ["challenger"]
    assert fourth.tags["promotion.decision"] == "kept_challenger"
    report = json.loads(latest_version(reporting / "promotion.json").read_text())
    assert report["promoted"] is False
    assert "worse than champion v2" in report["reason"]
