"""Shared fixtures.

Tests never write into the working copy: ``kedro_project`` copies the configuration and
the shipped raw files into a temporary folder, points the working directory (and so the
SQLite MLflow store ``mlruns.db``) there and bootstraps Kedro on it.
"""

from __future__ import annotations

import os

# Before MLflow, Kedro or TensorFlow are imported: no telemetry, quiet TensorFlow.
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import shutil
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import mlflow
import pytest

matplotlib.use("Agg")

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LAYERS = (
    "01_raw",
    "02_intermediate",
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
)
# Real public files shipped in the repository (see data/README.md).
SHIPPED_RAW_FILES = (
    "data/01_raw/aerosol/hyytiala_Event_classification_2004-2014.csv",
    "data/01_raw/battery/daily-battery-time-series.csv",
    "data/01_raw/maintenance/car-maintenance-data.csv",
    "data/01_raw/components/independent_notes.csv",
    "data/01_raw/components/sealed_notes.csv",
    "data/01_raw/components/sealed_notes_2.csv",
)


def copy_project(destination: Path) -> Path:
    """Copy what a clean clone has (config, shipped raw data, metadata) to ``destination``."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy2(PROJECT_ROOT / name, destination / name)
    shutil.copytree(
        PROJECT_ROOT / "conf",
        destination / "conf",
        ignore=shutil.ignore_patterns("credentials*", "*.local.yml"),
    )
    # The package is installed in editable mode (imported from the working copy); Kedro
    # only needs the project's source folder to exist.
    (destination / "src").mkdir()
    local = destination / "conf" / "local"
    shutil.rmtree(local, ignore_errors=True)
    local.mkdir()
    for layer in LAYERS:
        (destination / "data" / layer).mkdir(parents=True, exist_ok=True)
    for relative in SHIPPED_RAW_FILES:
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(PROJECT_ROOT / relative, target)
    (destination / "logs").mkdir(exist_ok=True)
    return destination


def pytest_report_header() -> list[str]:
    import importlib.util

    if importlib.util.find_spec("kedro_azureml") is None:
        return ["tests/azure not collected: kedro-azureml is not installed on this Python"]
    return []


@pytest.fixture(scope="session")
def registered_pipelines() -> dict:
    """The project's pipeline registry (bootstraps the working copy; writes nothing)."""
    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(PROJECT_ROOT)
    registry = dict(pipelines)
    assert registry, "no pipeline registered"
    return registry


def forget_mlflow_stores() -> None:
    """Drop MLflow's per-URI store cache (stores and SQLite engines of earlier tests)."""
    from mlflow.tracking._model_registry.registry import ModelRegistryStoreRegistry
    from mlflow.tracking._tracking_service.registry import TrackingStoreRegistry

    TrackingStoreRegistry._get_store_with_resolved_uri.cache_clear()
    ModelRegistryStoreRegistry._get_store_with_resolved_uri.cache_clear()


LEAKY_ENVIRONMENT = (
    "MLFLOW_EXPERIMENT_ID",  # written by mlflow.set_experiment
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_REGISTRY_URI",
    "MLFLOW_RUN_ID",
    "AZURE_STORAGE_ACCOUNT_NAME",  # written by the project's Azure storage hook
    "KEDRO_ENV",
)


# Their values before any test ran: every test starts and ends with these, whatever a
# module- or session-scoped fixture (e.g. one that opened a Kedro session) did meanwhile.
BASELINE_ENVIRONMENT = {name: os.environ.get(name) for name in LEAKY_ENVIRONMENT}


def _reset_process_state() -> None:
    import mlflow.tracking.fluent as fluent

    while mlflow.active_run():
        mlflow.end_run()
    fluent._active_experiment_id = None
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    forget_mlflow_stores()
    for name, value in BASELINE_ENVIRONMENT.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def isolated_mlflow_state() -> Iterator[None]:
    """Give every test a clean MLflow: no active run or experiment, no cached store.

    This fixture is autouse: tests need no MLflow fixture of their own. MLflow keeps
    process-wide state (the active run stack, the active experiment, stores cached per
    URI, and environment variables set by ``set_experiment``); a test that inherits any
    of it would make a Kedro session adopt a run or experiment from another test's
    database.
    """
    _reset_process_state()
    yield
    _reset_process_state()


@pytest.fixture
def kedro_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bootstrapped throw-away copy of the project; the cwd is its root."""
    from kedro.framework.startup import bootstrap_project

    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(project)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    bootstrap_project(project)
    return project  # MLflow state is reset around every test by isolated_mlflow_state


@pytest.fixture
def mlflow_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Real MLflow tracking + registry on a throw-away SQLite file."""
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    monkeypatch.chdir(tmp_path)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri  # reset after the test by isolated_mlflow_state
