"""battery_data as a pipeline: in-memory catalog, KedroSession in env test, notebook."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from tests.kedro_helpers import KeptMemoryDataset
from tests.notebook_runner import execute_notebook

from mlops_lab.pipelines.battery_data import create_pipeline


def _raw(battery_id: int, dates: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Date": dates,
            "Battery_ID": battery_id,
            "Battery_Age_Days": [0, 0.5, 1, 1.5, 2, 3][: len(dates)],
            "Number_Of_Trips": 2,
            "Daily_Trip_Duration": 30.0,
            "Daily_Cycles_Used": 0.07,
            "Lifetime_Cycles_Used": 0.0,
            "Battery_Rated_Cycles": 200.0,
        }
    )


def test_pipeline_on_an_in_memory_catalog() -> None:
    catalog = DataCatalog()
    catalog["battery_raw_telemetry_real"] = _raw(
        0,
        [
            "2014-12-30 00:00",
            "2014-12-30 12:00",
            "2014-12-31 00:00",
            "2014-12-31 12:00",
            "2015-01-01 00:00",
        ],
    )
    catalog["battery_raw_telemetry_fleet"] = _raw(
        5, ["2015-01-01 00:00", "2015-01-01 00:00", "2015-01-04 00:00"]
    )
    catalog["params:battery_data.plot_columns"] = 2
    catalog["daily_battery_time_series"] = KeptMemoryDataset()

    SequentialRunner().run(create_pipeline(), catalog)

    series = catalog.load("daily_battery_time_series")
    assert series.groupby("Battery_ID").size().to_dict() == {0: 3, 5: 4}
    assert series.loc[series["Battery_ID"] == 0, "Daily_Trip_Duration"].tolist() == [
        60.0,
        60.0,
        30.0,
    ]
    assert series.loc[series["Battery_ID"] == 5, "Is_Interpolated"].tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert catalog.load("battery_preparation_totals")["duplicates_removed"] == 1


@pytest.mark.slow
def test_session_prepares_the_series_and_the_notebook_runs(kedro_project: Path) -> None:
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="battery_simulation")
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="battery_data")

    reporting = kedro_project / "data/08_reporting/battery"
    (totals_file,) = reporting.glob("preparation_totals.json/*/preparation_totals.json")
    totals = json.loads(totals_file.read_text())
    assert totals["batteries"] == 4  # battery 0 + the 3 of conf/test
    assert totals["duplicates_removed"] > 0
    assert totals["days_filled"] > 0
    (series_file,) = (kedro_project / "data/03_primary/battery").glob(
        "daily_battery_time_series.parquet/*/*"
    )
    series = pd.read_parquet(series_file)
    assert len(series) == totals["days"]
    assert (series.groupby("Battery_ID").size().loc[0]) == 1539
    assert len(list(reporting.glob("daily_cycles.png/*/daily_cycles.png"))) == 1

    execute_notebook("battery_exploration.ipynb", kedro_project, env="test")
