"""One MLflow run per problem: real Kedro sessions against a real SQLite MLflow store."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.io import Version
from kedro.pipeline import Node, Pipeline
from kedro_datasets.pandas import CSVDataset

from mlops_lab.tracking import (
    Problem,
    ProblemRuns,
    content_digest,
    experiment_for,
    metric_history,
    metric_key,
    parse_problems,
)

pytestmark = pytest.mark.slow

PROBLEMS = {
    "problems": {
        "maintenance": {"experiment": "maintenance-exp", "pipelines": ["maintenance_data"]},
        "texts": {"experiment": "texts-exp", "pipelines": ["component_simulation"]},
    }
}


def _use_problems(project: Path, problems: dict = PROBLEMS) -> None:
    (project / "conf/test/tracking.yml").write_text(yaml.safe_dump(problems))


def _client(project: Path) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlruns.db'}")


def _runs(client: mlflow.MlflowClient, experiment: str) -> list:
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id]) if found else []


def test_one_session_opens_one_run_per_problem_with_only_its_parameters(kedro_project):
    _use_problems(kedro_project)
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["maintenance_data", "component_simulation"])

    client = _client(kedro_project)
    (maintenance,) = _runs(client, "maintenance-exp")
    (texts,) = _runs(client, "texts-exp")
    assert maintenance.info.run_name == "maintenance_data"
    assert maintenance.info.status == texts.info.status == "FINISHED"
    assert maintenance.data.tags["mlops_lab.problem"] == "maintenance"
    assert maintenance.data.params and texts.data.params
    assert all(key.startswith("maintenance_data.") for key in maintenance.data.params)
    assert all(key.startswith("component_simulation.") for key in texts.data.params)
    assert texts.data.params["component_simulation.n_texts"] == "3000"
    # Nothing went to a catch-all experiment.
    assert not _runs(client, "mlops-lab") and not _runs(client, "Default")


def test_a_run_records_the_data_it_read_from_outside_its_problem(kedro_project):
    _use_problems(kedro_project)
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="maintenance_data")
    (run,) = _runs(_client(kedro_project), "maintenance-exp")
    inputs = {i.dataset.name: i for i in run.inputs.dataset_inputs}
    assert set(inputs) == {"maintenance_raw"}  # produced-inside datasets are not inputs
    raw = pd.read_csv(kedro_project / "data/01_raw/maintenance/car-maintenance-data.csv")
    assert inputs["maintenance_raw"].dataset.digest == content_digest(raw)
    assert "car-maintenance-data.csv" in inputs["maintenance_raw"].dataset.source


def test_the_orchestrators_run_is_used_whatever_experiment_it_is_in(kedro_project, monkeypatch):
    """Azure ML exports MLFLOW_RUN_ID of the step job's run, in the job's experiment."""
    _use_problems(kedro_project)
    client = _client(kedro_project)
    job_experiment = client.create_experiment("azure-pipeline-job")
    step_run = client.create_run(job_experiment, run_name="parse_maintenance_visits")
    monkeypatch.setenv("MLFLOW_RUN_ID", step_run.info.run_id)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", job_experiment)

    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="maintenance_data")

    logged = client.get_run(step_run.info.run_id)
    assert any(key.startswith("maintenance_data.") for key in logged.data.params)
    assert [i.dataset.name for i in logged.inputs.dataset_inputs] == ["maintenance_raw"]
    assert not _runs(client, "maintenance-exp"), "no run of its own beside the service's"


def test_a_failing_node_leaves_its_problem_run_failed(kedro_project):
    _use_problems(kedro_project)
    raw = kedro_project / "data/01_raw/maintenance/car-maintenance-data.csv"
    raw.write_text("not,the,expected,columns\n1,2,3,4\n")
    with (
        KedroSession.create(project_path=kedro_project, env="test") as session,
        pytest.raises(Exception, match="maintenance"),
    ):
        session.run(pipeline_name="maintenance_data")
    (run,) = _runs(_client(kedro_project), "maintenance-exp")
    assert run.info.status == "FAILED"
    assert mlflow.active_run() is None


def test_untracked_pipelines_open_no_run(kedro_project):
    _use_problems(kedro_project, {"problems": {"texts": PROBLEMS["problems"]["texts"]}})
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="maintenance_data")
    client = _client(kedro_project)
    assert all(not client.search_runs([e.experiment_id]) for e in client.search_experiments())


def test_versioned_inputs_are_recorded_with_their_kedro_version(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlruns.db'}")
    dataset = CSVDataset(filepath=str(tmp_path / "table.csv"), version=None)
    versioned = CSVDataset(
        filepath=str(tmp_path / "versioned.csv"),
        version=Version(None, "2026-01-02T03.04.05.678Z"),
    )
    frame = pd.DataFrame({"a": [1, 2]})
    dataset.save(frame)
    versioned.save(frame)
    train = Node(lambda a, b: a, inputs=["table", "versioned"], outputs="out", name="train")
    problems = {"p": Problem("p", "p-exp", ("training",))}
    runs = ProblemRuns.plan(problems, {"training": Pipeline([train])}, Pipeline([train]))
    runs.activate(train)
    runs.log_input(train, "table", dataset, frame)
    runs.log_input(train, "versioned", versioned, frame)
    runs.log_input(train, "out", dataset, frame)  # an output is no input
    runs.finish()
    (run,) = mlflow.search_runs(experiment_names=["p-exp"], output_format="list")
    digests = {i.dataset.name: i.dataset.digest for i in run.inputs.dataset_inputs}
    assert digests == {"table": content_digest(frame), "versioned": "2026-01-02T03.04.05.678Z"}


def test_problem_configuration_errors_name_the_key():
    with pytest.raises(ValueError, match=r"problems\.a\.experiment"):
        parse_problems({"problems": {"a": {"pipelines": ["x"]}}})
    with pytest.raises(ValueError, match="'x' is listed under both 'a' and 'b'"):
        parse_problems(
            {
                "problems": {
                    "a": {"experiment": "A", "pipelines": ["x"]},
                    "b": {"experiment": "B", "pipelines": ["x"]},
                }
            }
        )
    with pytest.raises(ValueError, match="non-empty mapping 'problems'"):
        parse_problems({})


def test_a_job_goes_to_its_problems_experiment_only_when_it_has_one_problem():
    problems = parse_problems(PROBLEMS)
    assert experiment_for(problems, ["maintenance_data"]) == "maintenance-exp"
    assert experiment_for(problems, ["maintenance_data", "component_simulation"]) is None
    assert experiment_for(problems, ["__default__"]) is None


def test_metric_names_follow_one_rule_and_epochs_count_from_one():
    assert metric_key("aerosol", "heldout", "cnn", "accuracy") == "aerosol.heldout.cnn.accuracy"
    assert metric_history([0.5, 0.25]) == [
        {"step": 1, "value": 0.5},
        {"step": 2, "value": 0.25},
    ]


def test_the_project_maps_every_training_pipeline_to_its_problem(registered_pipelines):
    config = yaml.safe_load(
        (Path(__file__).resolve().parents[1] / "conf/base/tracking.yml").read_text()
    )
    problems = parse_problems(config)
    assert problems["battery"].experiment == "Battery-Cycles-Forecast"
    listed = {name for problem in problems.values() for name in problem.pipelines}
    assert listed <= set(registered_pipelines)
    for training in ("particle_classification", "battery_forecasting", "component_compliance"):
        assert training in listed


def test_batched_metrics_history_logs_what_kedro_mlflow_logs_in_chunks(mlflow_sqlite):
    """Histories longer than one batch, a single value and a list of single values: the
    stored steps and values are those kedro-mlflow's own dataset stores, read back by it."""
    from kedro_mlflow.io.metrics import MlflowMetricsHistoryDataset

    from mlops_lab.tracking import BatchedMetricsHistoryDataset

    long = [{"step": step, "value": step / 7} for step in range(1, 1_503)]
    data = {
        "demo.epoch.loss": long,
        "demo.test.accuracy": {"value": 0.875, "step": 0},
        "demo.validation.ece": [{"value": 0.5, "step": 0}, {"value": 0.25, "step": 1}],
    }
    stored = {}
    for dataset in (BatchedMetricsHistoryDataset(), MlflowMetricsHistoryDataset()):
        with mlflow.start_run() as run:
            dataset.save(data)
        client = mlflow.MlflowClient()
        stored[type(dataset).__name__] = {
            key: sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, key))
            for key in data
        }
        assert MlflowMetricsHistoryDataset(run_id=run.info.run_id).load().keys() == data.keys()
    batched = stored["BatchedMetricsHistoryDataset"]
    assert batched == stored["MlflowMetricsHistoryDataset"]
    assert batched["demo.epoch.loss"] == [(step, step / 7) for step in range(1, 1_503)]
    assert batched["demo.test.accuracy"] == [(0, 0.875)]
