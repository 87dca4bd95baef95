"""``maintenance_data`` as a pipeline: in-memory slice, Kedro session on the real file, notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.kedro_helpers import latest_version
from tests.notebook_runner import execute_notebook

from mlops_lab.pipelines.maintenance_data import create_pipeline
from mlops_lab.validation import InputValidationError

REAL_FILE = Path(__file__).resolve().parents[3] / "data/01_raw/maintenance/car-maintenance-data.csv"


def test_pipeline_on_an_in_memory_catalog_with_part_of_the_real_file():
    raw = pd.read_csv(REAL_FILE, nrows=1000)
    catalog = DataCatalog(
        {
            "maintenance_raw": MemoryDataset(raw),
            "params:maintenance_data.min_age_days": MemoryDataset(30),
            "params:maintenance_data.test_size": MemoryDataset(0.2),
            "params:maintenance_data.seed": MemoryDataset(42),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    report = catalog.load("maintenance_data_report")
    assert report["rows_raw"] == report["rows_features"] == 1000
    assert report["rows_train"] + report["rows_test"] == 1000
    assert report["rows_test"] == 200
    assert report["positives_train"] + report["positives_test"] == int(
        raw["has-issue-in-first-10k"].sum()
    )


@pytest.mark.slow
def test_session_on_the_real_file_and_the_notebook_runs(kedro_project: Path):
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="maintenance_data")
    data = kedro_project / "data"
    train = pd.read_parquet(
        latest_version(data / "05_model_input/maintenance/maintenance_train.parquet")
    )
    test = pd.read_parquet(
        latest_version(data / "05_model_input/maintenance/maintenance_test.parquet")
    )
    sensitive_test = pd.read_parquet(
        latest_version(data / "05_model_input/maintenance/maintenance_sensitive_test.parquet")
    )
    assert (len(train), len(test)) == (8080, 2020)
    assert train["has_issue_in_first_10k"].sum() + test["has_issue_in_first_10k"].sum() == 530
    assert test["has_issue_in_first_10k"].sum() == 106
    assert "gender" not in train and "gender" not in test
    assert sensitive_test["record_id"].tolist() == test["record_id"].tolist()
    assert set(sensitive_test["gender"]) == {"Female", "Male"}
    report = json.loads(
        latest_version(data / "08_reporting/maintenance/maintenance_data_report.json").read_text()
    )
    assert report["rows_raw"] == 10100
    execute_notebook("maintenance_exploration.ipynb", kedro_project, env="test")


@pytest.mark.slow
def test_session_stops_on_a_bad_raw_file_with_a_clear_message(kedro_project: Path):
    raw_path = kedro_project / "data/01_raw/maintenance/car-maintenance-data.csv"
    raw = pd.read_csv(raw_path, nrows=50)
    raw.loc[7, "gender"] = "unknown"
    raw.to_csv(raw_path, index=False)
    with (
        KedroSession.create(project_path=kedro_project, env="test") as session,
        pytest.raises(
            InputValidationError,
            match=r"(?s)'gender'.*rows \[7\].*node 'parse_maintenance_visits' read "
            r"dataset 'maintenance_raw' \(.*data/01_raw/maintenance/car-maintenance-data.csv\)",
        ),
    ):
        session.run(pipeline_name="maintenance_data")
