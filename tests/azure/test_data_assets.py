"""The registered datasets become versioned Azure ML data assets: compiled jobs register
and read them, and local versions are registered by one command, checked by Azure's SDK."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.framework.session import KedroSession

from mlops_lab.azure.data_assets import asset_datasets, main

pytestmark = pytest.mark.slow
ASSETS = {
    "daily_battery_time_series": "daily-battery-time-series",
    "aerosol_model_input": "aerosol-model-input",
    "component_texts_train": "component-texts-train",
    "component_texts_test": "component-texts-test",
    "maintenance_model_input_train": "maintenance-train",
    "maintenance_model_input_test": "maintenance-test",
}


@pytest.fixture(scope="module")
def project_with_maintenance_splits(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from kedro.framework.startup import bootstrap_project
    from tests.conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("assets") / "project")
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env="test") as session:
        session.run(pipeline_names=["maintenance_data"])
    return project


def test_the_azureml_environment_maps_each_registered_dataset_to_an_asset(
    project_with_maintenance_splits: Path,
):
    found = asset_datasets(project_with_maintenance_splits)
    names = {dataset: asset._azureml_dataset for dataset, asset in found.items()}
    assert ASSETS.items() <= names.items()


def test_local_versions_become_asset_specs_the_sdk_loads(
    project_with_maintenance_splits: Path, tmp_path: Path, no_network
):
    from azure.ai.ml import load_data

    project = project_with_maintenance_splits
    main(["register", "--dry-run", str(tmp_path), "--project-path", str(project)])
    written = sorted(p.stem for p in tmp_path.glob("*.yml"))
    assert written == ["maintenance-test", "maintenance-train"]  # the only local versions
    local = sorted(
        (project / "data/05_model_input/maintenance/maintenance_train.parquet").iterdir()
    )
    for name in written:
        data = load_data(tmp_path / f"{name}.yml")
        assert data.type == "uri_folder" and data.name == name
        assert data.version == local[-1].name  # the Kedro version it came from
        assert data.tags["kedro_version"] == data.version
        folder = Path(yaml.safe_load((tmp_path / f"{name}.yml").read_text())["path"])
        assert [p.name for p in folder.iterdir()] == [f"{name.replace('-', '_')}.parquet"]
    assert no_network == []


def test_registering_into_an_emulated_workspace_numbers_versions(
    project_with_maintenance_splits: Path, tmp_path: Path
):
    project = project_with_maintenance_splits
    for _ in range(2):
        main(["register", "--to", str(tmp_path), "--project-path", str(project)])
    store = tmp_path / "_assets" / "maintenance-train"
    assert sorted(p.name for p in store.iterdir()) == ["1", "2"]
    frame = pd.read_parquet(store / "2" / "maintenance_train.parquet")
    assert len(frame) > 1000


def test_a_project_with_nothing_prepared_gets_one_line_naming_what_to_run(
    tmp_path: Path, no_network
):
    from tests.conftest import copy_project

    project = copy_project(tmp_path / "empty")
    with pytest.raises(SystemExit, match=r"no local version of any asset dataset .*kedro run"):
        main(["register", "--dry-run", str(tmp_path / "specs"), "--project-path", str(project)])
    assert not (tmp_path / "specs").exists()
    assert no_network == []
