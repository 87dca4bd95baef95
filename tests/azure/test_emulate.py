"""A compiled pipeline runs step by step on this machine, as Azure ML compute would run it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession

from mlops_lab.azure.compile_all import compile_pipelines
from mlops_lab.azure.emulate import (
    AssetStore,
    EmulationError,
    emulate_pipeline_job,
    parse_pipeline_job,
)

pytestmark = pytest.mark.slow
PIPELINE = "maintenance_data"  # reads only a shipped real file: the smallest real pipeline


@pytest.mark.integration  # a process per step (about a minute): `make test-integration`
def test_what_make_compile_sends_executes_in_dependency_order_on_a_local_datastore(
    kedro_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # `make compile` compiles with --env azureml: catalog paths under abfs://, MLflow in
    # the workspace. The emulator maps the datastore to a folder and runs that YAML as is.
    compiled = compile_pipelines(kedro_project, "azureml", tmp_path / "yaml", [PIPELINE])[PIPELINE]
    steps = parse_pipeline_job(compiled)
    assert len(steps) == len(pipelines[PIPELINE].nodes)
    position = {step.name: index for index, step in enumerate(steps)}
    for step in steps:
        assert all(position[upstream] < position[step.name] for upstream in step.upstream)

    datastore = tmp_path / "datastore"
    results = emulate_pipeline_job(compiled, kedro_project, tmp_path / "aml", datastore=datastore)
    assert [result.name for result in results] == [step.name for step in steps]
    assert (datastore / "01_raw/maintenance/car-maintenance-data.csv").is_file()
    assert not (kedro_project / "data/02_intermediate/maintenance").exists(), (
        "the steps must write to the datastore, not to the project's data/"
    )

    # The model-input splits are data assets in `azureml`: the step that writes them
    # registers version 1 of each, holding the file a reading job will get.
    registered = {asset: v for result in results for asset, v in result.registered.items()}
    assert registered == {"maintenance-train": "1", "maintenance-test": "1"}
    for asset in registered:
        table = datastore / "_assets" / asset / "1" / f"{asset.replace('-', '_')}.parquet"
        assert len(pd.read_parquet(table)) > 1000, asset

    monkeypatch.setenv("MLOPS_LAB_DATA_ROOT", str(datastore))
    with KedroSession.create(project_path=kedro_project, env="azureml") as session:
        catalog = session.load_context().catalog
    persisted = [
        name
        for name in pipelines[PIPELINE].all_outputs()
        if name in catalog.filter()
        and type(catalog[name]).__name__ not in ("MemoryDataset", "AzureMLAssetDataset")
    ]
    assert persisted, "the pipeline should write catalogued datasets"
    for name in persisted:
        assert catalog.exists(name), f"{name} was not written by the emulated steps"


def test_a_job_reading_an_asset_gets_the_latest_or_the_named_version(tmp_path: Path):
    store = AssetStore(tmp_path / "_assets")
    with pytest.raises(EmulationError, match="data asset 'daily-battery-time-series' has no"):
        store.resolve("daily-battery-time-series", "latest")
    for content in ("first", "second"):
        folder = tmp_path / content
        folder.mkdir()
        (folder / "table.txt").write_text(content)
        store.register("daily-battery-time-series", folder)
    assert (store.resolve("daily-battery-time-series", "latest") / "table.txt").read_text() == (
        "second"
    )
    assert store.resolve("daily-battery-time-series", "1").name == "1"
    with pytest.raises(EmulationError, match=r"has no version '7' \(has 1, 2\)"):
        store.resolve("daily-battery-time-series", "7")


def test_a_failing_step_is_named(tmp_path: Path):
    compiled = tmp_path / "broken.yaml"
    compiled.write_text(
        "type: pipeline\njobs:\n  only_step:\n    type: command\n"
        "    component:\n      command: python -c 'import sys; sys.exit(3)'\n"
    )
    with pytest.raises(EmulationError, match=r"step 'only_step' failed \(exit 3\)"):
        emulate_pipeline_job(compiled, tmp_path, tmp_path / "aml")


def test_unreadable_or_wrong_yaml_is_reported(tmp_path: Path):
    wrong = tmp_path / "job.yaml"
    wrong.write_text("type: command\n")
    with pytest.raises(EmulationError, match="expected an Azure ML pipeline job"):
        parse_pipeline_job(wrong)
    with pytest.raises(EmulationError, match="cannot read the compiled pipeline"):
        parse_pipeline_job(tmp_path / "missing.yaml")
