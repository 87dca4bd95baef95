"""Project hooks, exercised through real Kedro sessions (tracking: see test_tracking.py)."""

from __future__ import annotations

import os

import pytest
from kedro.framework.session import KedroSession

pytestmark = pytest.mark.slow


def test_storage_account_from_globals_reaches_adlfs(kedro_project, monkeypatch):
    monkeypatch.delenv("AZURE_STORAGE_ACCOUNT_NAME", raising=False)
    with KedroSession.create(project_path=kedro_project, env="azureml") as session:
        session.load_context()
    assert os.environ["AZURE_STORAGE_ACCOUNT_NAME"] == "<storage-account>"


def _run_with_worker_hook(tmp_path, tf_config: str | None, monkeypatch) -> bool:
    """Run a one-node pipeline with the hook; return whether its CSV output was written."""
    import pandas as pd
    from kedro.framework.hooks.manager import _create_hook_manager
    from kedro.io import DataCatalog
    from kedro.pipeline import Node, Pipeline
    from kedro.runner import SequentialRunner
    from kedro_datasets.pandas import CSVDataset

    from mlops_lab.hooks import DistributedWorkerHook

    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    target = tmp_path / "model.csv"
    catalog = DataCatalog({"model": CSVDataset(filepath=str(target))})
    hooks = _create_hook_manager()
    hooks.register(DistributedWorkerHook())
    pipeline = Pipeline([Node(lambda: pd.DataFrame({"w": [1.0]}), None, "model", name="train")])
    SequentialRunner().run(pipeline, catalog, hooks)
    return target.exists()


def test_only_the_chief_of_a_multi_node_step_saves(tmp_path, monkeypatch):
    import json

    cluster = {"worker": ["10.0.0.4:2222", "10.0.0.5:2222"]}
    second = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 1}})
    first = json.dumps({"cluster": cluster, "task": {"type": "worker", "index": 0}})
    assert not _run_with_worker_hook(tmp_path / "a", second, monkeypatch)
    assert _run_with_worker_hook(tmp_path / "b", first, monkeypatch)
    assert _run_with_worker_hook(tmp_path / "c", None, monkeypatch)  # local runs save


def test_tf_config_is_read_as_azure_ml_writes_it():
    import json

    from mlops_lab.distribution import cluster_workers, is_chief

    with_chief = {"cluster": {"chief": ["a:1"], "worker": ["b:1", "c:1"]}}
    assert cluster_workers(json.dumps(with_chief)) == 3
    assert is_chief(json.dumps({**with_chief, "task": {"type": "chief", "index": 0}}))
    assert not is_chief(json.dumps({**with_chief, "task": {"type": "worker", "index": 0}}))
    assert cluster_workers(None) == 1 and is_chief(None)
    with pytest.raises(ValueError, match="TF_CONFIG is not JSON"):
        cluster_workers("{not json")
