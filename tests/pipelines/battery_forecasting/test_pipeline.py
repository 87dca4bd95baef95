"""battery_forecasting as a pipeline: in-memory slice, then a KedroSession that registers
a model version."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog
from kedro.runner import SequentialRunner
from tests.battery.synthetic import make_series
from tests.kedro_helpers import KeptMemoryDataset, latest_version

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
        "real_batteries": [0],
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
    metrics = catalog.load("battery_metrics_holdout")
    report = catalog.load("battery_report_holdout")
    assert (
        metrics["battery.heldout.selected.real_normalized_rmse"]["value"]
        == (report.loc[report["Battery_ID"] == 0, "nrmse_selected"].iloc[0])
    )


@pytest.mark.slow
def test_session_selects_registers_promotes_and_explains(
    kedro_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mlflow.pyfunc.load_model (below) puts the model's code copy first on sys.path:
    # restore it, or joblib workers of later tests import the project from that copy.
    monkeypatch.setattr(sys, "path", list(sys.path))
    for pipeline in ("battery_simulation", "battery_data", "battery_forecasting"):
        with KedroSession.create(project_path=kedro_project, env="test") as session:
            session.run(pipeline_name=pipeline)

    reporting = kedro_project / "data/08_reporting/battery"
    board = pd.read_csv(reporting / "leaderboard.csv")
    assert board["rank"].iloc[0] == 1
    assert board["status"].eq("ok").all()
    holdout = pd.read_csv(reporting / "holdout.csv")
    assert holdout["Battery_ID"].tolist() == [0, 1, 2, 3]
    assert holdout["series"].tolist() == ["real", "fleet", "fleet", "fleet"]
    assert (holdout["selected_model"] == board["label"].iloc[0]).all()
    importance = pd.read_csv(reporting / "global_importance.csv")
    if board["kind"].iloc[0] in {"regression", "ensemble"}:
        assert importance["method"].iloc[0] == "shap-linear"  # test search: ElasticNet, tree
        assert importance["importance"].is_monotonic_decreasing
    html = latest_version(reporting / "report.html").read_text()
    assert "<h2>Model card</h2>" in html and "<h2>Explanations</h2>" in html
    assert (reporting / "run_report/battery-cycles-report.html").read_text() == html

    mlflow.set_tracking_uri(f"sqlite:///{kedro_project / 'mlruns.db'}")
    client = mlflow.MlflowClient()
    (version,) = client.search_model_versions("name='battery-cycles'")
    assert str(client.get_model_version_by_alias("battery-cycles", "champion").version) == "1"
    report = json.loads(latest_version(reporting / "promotion.json").read_text())
    assert report["promoted"] is True
    assert report["reason"] == "no champion yet: the challenger becomes it"
    assert report["metric"] == "battery.heldout.normalized_rmse"
    assert report["challenger"]["score"] == pytest.approx(holdout["nrmse_selected"].mean())
    assert version.tags["metric.battery.heldout.normalized_rmse"] == repr(
        report["challenger"]["score"]
    )
    run = client.get_run(version.run_id)
    experiment = client.get_experiment(run.info.experiment_id)
    assert experiment.name == "Battery-Cycles-Forecast"
    assert run.data.metrics["battery.validation.selected.normalized_rmse"] == pytest.approx(
        board["normalized_rmse"].iloc[0]
    )
    assert run.data.metrics["battery.heldout.selected.normalized_rmse"] == pytest.approx(
        holdout["nrmse_selected"].mean()
    )
    assert all(key.startswith("battery.") for key in run.data.metrics)
    children = client.search_runs(
        [experiment.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert len(children) == len(board[board["kind"] != "ensemble"])
    model = mlflow.pyfunc.load_model("models:/battery-cycles@champion")
    example = model.input_example
    assert len(model.predict(example)) == len(example)


def test_session_names_a_bad_horizon_given_on_the_command_line(kedro_project: Path) -> None:
    # What `kedro run --params battery_forecasting.horizon=abc` passes to the session.
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.load_context().catalog.save("daily_battery_time_series", make_series({0: 60}))
    params = {"battery_forecasting": {"horizon": "abc"}}
    with (
        KedroSession.create(
            project_path=kedro_project, env="test", runtime_params=params
        ) as session,
        pytest.raises(ValueError) as refused,
    ):
        session.run(pipeline_name="battery_forecasting", node_names=["split_holdout"])
    assert str(refused.value) == (
        "Parameter 'battery_forecasting.horizon' must be a positive whole number of days "
        "(1 or more, e.g. 30); got 'abc'."
    )
    assert not list((kedro_project / "data/05_model_input").rglob("forecast_*"))  # nothing split
