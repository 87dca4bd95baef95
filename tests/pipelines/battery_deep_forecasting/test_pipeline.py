"""battery_deep_forecasting in a KedroSession: registers, promotes, keeps a worse retraining
out, and the champion entry loads the promoted version."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from tests.battery.synthetic import make_series
from tests.kedro_helpers import latest_version

from mlops_lab.battery.splitting import split_last_days

LEADERBOARD = pd.DataFrame(
    {
        "rank": [1, 2],
        "label": ['seasonal_naive({"season": 7})', "naive({})"],
        "candidate": ["seasonal_naive", "naive"],
        "kind": ["seasonal_naive", "naive"],
        "spec": [
            json.dumps({"kind": "seasonal_naive", "params": {"season": 7}}),
            json.dumps({"kind": "naive", "params": {}}),
        ],
        "status": ["ok", "ok"],
        "normalized_rmse": [0.2, 0.3],
        "fit_time_s": [0.1, 0.1],
    }
)


def _run(project: Path, **training) -> None:
    params = {"battery_deep_forecasting": {"training": training}} if training else {}
    with KedroSession.create(project_path=project, env="test", runtime_params=params) as session:
        session.run(pipeline_name="battery_deep_forecasting")


@pytest.mark.slow
def test_session_registers_promotes_and_keeps_a_worse_lstm_out(
    kedro_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))  # load_model puts the code copy first
    history, holdout = split_last_days(make_series({0: 200, 1: 180, 2: 190}), 30)
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        catalog = session.load_context().catalog
        catalog.save("battery_forecast_history", history)
        catalog.save("battery_forecast_holdout", holdout)
        catalog.save("battery_leaderboard", LEADERBOARD)

    _run(kedro_project)
    # Deliberately worse: an untrained network (one epoch at a learning rate of 1e-7).
    _run(
        kedro_project,
        learning_rate=1e-7,
        max_epochs=1,
        batch_size=64,
        verbose=0,
        early_stopping={"patience": 2, "min_delta": 0.0},
    )

    mlflow.set_tracking_uri(f"sqlite:///{kedro_project / 'mlruns.db'}")
    client = mlflow.MlflowClient()
    versions = sorted(
        int(v.version) for v in client.search_model_versions("name='battery-cycles-lstm'")
    )
    assert versions == [1, 2]
    assert str(client.get_model_version_by_alias("battery-cycles-lstm", "champion").version) == "1"
    assert (
        str(client.get_model_version_by_alias("battery-cycles-lstm", "challenger").version) == "2"
    )
    reporting = kedro_project / "data/08_reporting/battery"
    reports = sorted((reporting / "lstm_promotion.json").glob("*/*"))
    first, second = (json.loads(path.read_text()) for path in reports)
    assert first["promoted"] is True and second["promoted"] is False
    assert "is worse than champion v1" in second["reason"]
    assert second["champion"]["score"] == pytest.approx(first["challenger"]["score"])

    run = client.get_run(client.get_model_version("battery-cycles-lstm", "1").run_id)
    assert client.get_experiment(run.info.experiment_id).name == "Battery-Cycles-Forecast"
    assert run.data.metrics["battery.heldout.lstm.normalized_rmse"] == pytest.approx(
        first["challenger"]["score"]
    )
    assert len(client.get_metric_history(run.info.run_id, "battery.epoch.lstm.loss")) >= 1
    board = pd.read_csv(latest_version(reporting / "leaderboard_with_lstm.csv"))
    assert board["model"].tolist().count("lstm") == 1
    assert board["heldout_nrmse"].is_monotonic_increasing

    with KedroSession.create(project_path=kedro_project, env="test") as session:
        champion = session.load_context().catalog.load("battery_cycles_lstm_champion")
    assert (champion.name, champion.version) == ("battery-cycles-lstm", "1")
    forecast = champion.predict(history)
    assert len(forecast) == 3 * 30
