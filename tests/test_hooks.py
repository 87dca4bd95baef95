"""Project hooks, exercised through real Kedro sessions, kedro-mlflow and SQLite."""

from __future__ import annotations

import os

import mlflow
import pytest
import yaml
from kedro.framework.session import KedroSession

pytestmark = pytest.mark.slow


def _enable_tracking_for(project, pipeline: str) -> None:
    """Give the test env an mlflow.yml in which ``pipeline`` is tracked."""
    config = yaml.safe_load((project / "conf/base/mlflow.yml").read_text())
    config["tracking"]["disable_tracking"]["pipelines"] = []
    (project / "conf/test/mlflow.yml").write_text(yaml.safe_dump(config))


def test_each_pipeline_logs_to_its_own_experiment(kedro_project):
    _enable_tracking_for(kedro_project, "maintenance_data")
    mapping = {"mlflow_experiments": {"maintenance_data": "maintenance-experiment"}}
    with KedroSession.create(
        project_path=kedro_project, env="test", runtime_params=mapping
    ) as session:
        session.run(pipeline_name="maintenance_data")

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlruns.db'}")
    experiment = client.get_experiment_by_name("maintenance-experiment")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    assert runs[0].info.run_name == "maintenance_data"
    fallback = client.get_experiment_by_name("mlops-lab")
    assert fallback is None or not client.search_runs([fallback.experiment_id])


def test_unmapped_pipeline_stays_in_the_configured_experiment(kedro_project):
    _enable_tracking_for(kedro_project, "maintenance_data")
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="maintenance_data")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlruns.db'}")
    experiment = client.get_experiment_by_name("mlops-lab")
    assert len(client.search_runs([experiment.experiment_id])) == 1


def test_storage_account_from_globals_reaches_adlfs(kedro_project, monkeypatch):
    monkeypatch.delenv("AZURE_STORAGE_ACCOUNT_NAME", raising=False)
    with KedroSession.create(project_path=kedro_project, env="azureml") as session:
        session.load_context()
    assert os.environ["AZURE_STORAGE_ACCOUNT_NAME"] == "<storage-account>"


def test_untracked_pipelines_do_not_decide_the_experiment(kedro_project):
    """`--pipelines maintenance_data,component_simulation`: only the tracked one counts."""
    _enable_tracking_for(kedro_project, "maintenance_data")
    config = yaml.safe_load((kedro_project / "conf/test/mlflow.yml").read_text())
    config["tracking"]["disable_tracking"]["pipelines"] = ["component_simulation"]
    (kedro_project / "conf/test/mlflow.yml").write_text(yaml.safe_dump(config))
    mapping = {"mlflow_experiments": {"maintenance_data": "maintenance-experiment"}}
    with KedroSession.create(
        project_path=kedro_project, env="test", runtime_params=mapping
    ) as session:
        session.run(pipeline_names=["maintenance_data", "component_simulation"])
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{kedro_project / 'mlruns.db'}")
    experiment = client.get_experiment_by_name("maintenance-experiment")
    assert experiment is not None and len(client.search_runs([experiment.experiment_id])) == 1
