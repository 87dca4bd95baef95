"""battery_forecasting as a pipeline: in-memory slice, then a KedroSession that registers
a model version."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from tests.battery.synthetic import make_series
from tests.kedro_helpers import KeptMemoryDataset

from mlops_lab.pipelines.battery_forecasting import create_pipeline


def test_selection_slice_on_an_in_memory_catalog() -> None:
    catalog = DataCatalog()
    catalog["daily_battery_time_series"] = make_series({0: 200, 1: 190})
    params = {
        "horizon": 30,
        "seed": 0,
        "validation": {"n_folds": 2, "step": 15, "min_train_days": 90},
        "search": {"time_budget_s": 60, "exit_score": None, "patience": None, "n_jobs": 1},
        "ensemble": {"top_k": 3, "rounds": 4},
        "candidates": [
            {"name": "naive", "kind": "naive"},
            {"name": "average", "kind": "average", "grid": {"window": [7, 28]}},
        ],
    }
    for key, value in params.items():
        catalog[f"params:battery_forecasting.{key}"] = value
    for name in ("battery_leaderboard", "battery_report_holdout", "battery_metrics_holdout"):
        catalog[name] = KeptMemoryDataset()

    SequentialRunner().run(create_pipeline().to_nodes("evaluate_on_holdout"), catalog)

    board = catalog.load("battery_leaderboard")
    assert set(board["candidate"]) <= {"naive", "average", "ensemble"}
    assert len(board[board["kind"] != "ensemble"]) == 3
    assert catalog.load("battery_report_holdout")["Battery_ID"].tolist() == [0, 1]
    assert "holdout_battery0_nrmse" in catalog.load("battery_metrics_holdout")


@pytest.mark.slow
def test_session_selects_registers_and_explains(kedro_project: Path) -> None:
    for pipeline in ("battery_simulation", "battery_data", "battery_forecasting"):
        with KedroSession.create(project_path=kedro_project, env="test") as session:
            session.run(pipeline_name=pipeline)

    reporting = kedro_project / "data/08_reporting/battery"
    board = pd.read_csv(reporting / "leaderboard.csv")
    assert board["rank"].iloc[0] == 1
    assert board["status"].eq("ok").all()
    holdout = pd.read_csv(reporting / "holdout.csv")
    assert holdout["Battery_ID"].tolist() == [0, 1, 2, 3]
    assert (holdout["selected_model"] == board["label"].iloc[0]).all()
    for plot in ("validation_forecasts", "residuals", "global_importance", "local_explanations"):
        assert (reporting / f"{plot}.png").stat().st_size > 0

    mlflow.set_tracking_uri(f"sqlite:///{kedro_project / 'mlruns.db'}")
    client = mlflow.MlflowClient()
    (version,) = client.search_model_versions("name='battery-cycles'")
    run = client.get_run(version.run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == "Battery-Cycles-Forecast"
    assert run.data.metrics["best_normalized_rmse"] == pytest.approx(
        board["normalized_rmse"].iloc[0]
    )
    children = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert len(children) == len(board[board["kind"] != "ensemble"])
    model = mlflow.pyfunc.load_model(f"models:/battery-cycles/{version.version}")
    example = model.input_example
    assert len(model.predict(example)) == len(example)
