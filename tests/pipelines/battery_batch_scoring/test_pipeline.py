"""battery_batch_scoring as a pipeline: in-memory catalog, then the whole lane in a
KedroSession (simulate, prepare, select and register, score with the registered model)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from tests.battery.synthetic import make_series
from tests.kedro_helpers import KeptMemoryDataset, latest_version

from mlops_lab.battery.candidates import build_forecaster
from mlops_lab.battery.model import BatteryCyclesModel, error_quantiles, future_frame
from mlops_lab.pipelines.battery_batch_scoring import create_pipeline
from mlops_lab.registry import RegisteredModel


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
    catalog["battery_cycles_champion"] = RegisteredModel(
        "battery-cycles", "3", None, ("champion",), model
    )
    catalog["battery_cycles_forecasts"] = KeptMemoryDataset()
    for key, value in {
        "horizon": 14,
        "duration_arima": {
            "orders": [[1, 0, 0]],
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
    assert forecasts[["model_name", "model_version"]].drop_duplicates().to_numpy().tolist() == [
        ["battery-cycles", "3"]
    ]


NAIVE_ONLY = [{"name": "naive", "kind": "naive"}]


def _run(project: Path, pipeline: str, **params: object) -> None:
    with KedroSession.create(project_path=project, env="test", runtime_params=params) as session:
        session.run(pipeline_name=pipeline)


def _forecasts(project: Path) -> pd.DataFrame:
    folder = project / "data/07_model_output/battery/cycles_forecasts.csv"
    return pd.read_csv(latest_version(folder), parse_dates=["Date"])


@pytest.mark.slow
def test_a_worse_model_stays_challenger_and_scoring_loads_the_champion(
    kedro_project: Path,
) -> None:
    for pipeline in ("battery_simulation", "battery_data", "battery_forecasting"):
        _run(kedro_project, pipeline)
    # A deliberately worse training: the naive forecast only.
    _run(kedro_project, "battery_forecasting", **{"battery_forecasting.candidates": NAIVE_ONLY})

    mlflow.set_tracking_uri(f"sqlite:///{kedro_project / 'mlruns.db'}")
    client = mlflow.MlflowClient()
    champion = client.get_model_version_by_alias("battery-cycles", "champion")
    challenger = client.get_model_version_by_alias("battery-cycles", "challenger")
    assert (str(champion.version), str(challenger.version)) == ("1", "2")
    report = json.loads(
        latest_version(kedro_project / "data/08_reporting/battery/promotion.json").read_text()
    )
    assert report["promoted"] is False
    assert report["champion"]["version"] == "1"
    assert report["challenger"]["score"] > report["champion"]["score"]
    assert "is worse than champion v1" in report["reason"]
    assert challenger.tags["promotion.decision"] == "kept_challenger"
    assert challenger.tags["promotion.reason"] == report["reason"]
    assert float(challenger.tags["promotion.champion_score"]) == report["champion"]["score"]

    _run(kedro_project, "battery_batch_scoring")
    forecasts = _forecasts(kedro_project)
    assert forecasts.groupby("Battery_ID").size().to_dict() == {0: 30, 1: 30, 2: 30, 3: 30}
    assert forecasts["model_name"].eq("battery-cycles").all()
    assert forecasts["model_version"].eq(1).all()  # the champion, not the latest version
    assert not forecasts["model"].str.startswith("naive").any()
    ordered = forecasts[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    assert forecasts.loc[forecasts["Battery_ID"] == 0, "Date"].min() == pd.Timestamp("2017-03-20")

    # as `--params battery_cycles_model=2`
    _run(kedro_project, "battery_batch_scoring", battery_cycles_model=2)
    by_version = _forecasts(kedro_project)
    assert by_version["model_version"].eq(2).all()
    assert by_version["model"].str.startswith("naive").all()
    naive = by_version.groupby("Battery_ID")["forecast"].nunique()
    assert (naive == 1).all()  # the naive model's flat forecast, not the champion's
