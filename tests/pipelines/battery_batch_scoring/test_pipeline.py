"""battery_batch_scoring as a pipeline: in-memory catalog, then the whole lane in a
KedroSession (simulate, prepare, select and register, score with the registered model)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from tests.battery.synthetic import make_series
from tests.kedro_helpers import KeptMemoryDataset

from mlops_lab.battery.candidates import build_forecaster
from mlops_lab.battery.model import BatteryCyclesModel, error_quantiles, future_frame
from mlops_lab.pipelines.battery_batch_scoring import create_pipeline


def test_pipeline_on_an_in_memory_catalog() -> None:
    series = make_series({2: 150})
    forecaster = build_forecaster("average", {"window": 28}).fit(series)
    errors = pd.DataFrame(
        {"Battery_ID": 2, "y_true": 0.1 + np.linspace(-0.01, 0.01, 21), "y_pred": 0.1}
    )
    model = BatteryCyclesModel(
        forecaster, error_quantiles(errors), future_frame(series, 1), "average"
    )
    catalog = DataCatalog()
    catalog["daily_battery_time_series"] = series
    catalog["battery_scoring_model"] = model
    catalog["battery_cycles_forecasts"] = KeptMemoryDataset()
    for key, value in {
        "horizon": 14,
        "duration_arima": {
            "order": [1, 0, 0],
            "seasonal_order": [0, 0, 0, 0],
            "max_history_days": 90,
        },
        "plot_history_days": 30,
        "plot_columns": 2,
    }.items():
        catalog[f"params:battery_batch_scoring.{key}"] = value

    SequentialRunner().run(create_pipeline(), catalog)

    forecasts = catalog.load("battery_cycles_forecasts")
    assert len(forecasts) == 14
    np.testing.assert_allclose(forecasts["forecast"], series["Daily_Cycles_Used"].iloc[-28:].mean())
    # Relative errors from -10% to +10%: the 97.5% quantile is +9.5% of the forecast.
    np.testing.assert_allclose(forecasts["upper_95"] / forecasts["forecast"], 1.095, rtol=1e-9)


@pytest.mark.slow
def test_session_scores_every_battery_with_the_registered_model(kedro_project: Path) -> None:
    for pipeline in (
        "battery_simulation",
        "battery_data",
        "battery_forecasting",
        "battery_batch_scoring",
    ):
        with KedroSession.create(project_path=kedro_project, env="test") as session:
            session.run(pipeline_name=pipeline)

    (table,) = (kedro_project / "data/07_model_output/battery").glob(
        "cycles_forecasts.csv/*/cycles_forecasts.csv"
    )
    forecasts = pd.read_csv(table, parse_dates=["Date"])
    assert forecasts.groupby("Battery_ID").size().to_dict() == {0: 30, 1: 30, 2: 30, 3: 30}
    ordered = forecasts[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    assert forecasts.loc[forecasts["Battery_ID"] == 0, "Date"].min() == pd.Timestamp("2017-03-20")
    assert (
        len(
            list((kedro_project / "data/08_reporting/battery").glob("cycles_forecasts.png/*/*.png"))
        )
        == 1
    )
