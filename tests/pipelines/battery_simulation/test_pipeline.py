"""battery_simulation as a pipeline: in-memory catalog, then a KedroSession in env test."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner

from mlops_lab.pipelines.battery_simulation import create_pipeline

REAL_FILE = (
    Path(__file__).resolve().parents[3] / "data/01_raw/battery/daily-battery-time-series.csv"
)


def test_pipeline_on_an_in_memory_catalog() -> None:
    catalog = DataCatalog()
    catalog["battery_real_daily"] = pd.read_csv(REAL_FILE, index_col=0).head(400)
    catalog["params:battery_simulation.seed"] = 1
    catalog["params:battery_simulation.raw_shape"] = {
        "half_days_until": "2013-06-30",
        "duplicate_fraction": 0.0,
        "gap_fraction": 0.0,
        "max_gap_days": 1,
    }
    catalog["params:battery_simulation.fleet"] = {"n_batteries": 2, "rated_cycles_choices": [20.0]}

    SequentialRunner().run(create_pipeline(), catalog)

    real = catalog.load("battery_raw_telemetry_real")
    assert len(real) == 400 + 181  # 181 days of 2013-01-01..06-30 split in two
    fleet = catalog.load("battery_raw_telemetry_fleet")
    assert sorted(fleet["Battery_ID"].unique()) == [1, 2]


@pytest.mark.slow
def test_session_writes_both_raw_files(kedro_project: Path) -> None:
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="battery_simulation")

    real = pd.read_csv(kedro_project / "data/01_raw/battery/raw_telemetry_real.csv")
    fleet = pd.read_csv(kedro_project / "data/01_raw/battery/raw_telemetry_fleet.csv")
    assert set(real["Battery_ID"]) == {0}
    assert sorted(fleet["Battery_ID"].unique()) == [1, 2, 3]  # conf/test: 3 batteries
    assert 1539 < len(real) < 2 * 1539
