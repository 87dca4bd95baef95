"""Fixtures of the streaming tests: one Spark session per test process, a tiny LSTM."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import yaml
from tests.battery.synthetic import make_series
from tests.conftest import PROJECT_ROOT

from mlops_lab.battery.lstm import BatteryLstmModel
from mlops_lab.battery.splitting import split_last_days

LSTM_WINDOWS = {"length": 14, "stride": 3, "validation_days": 40}
LSTM_TRAINING = {
    "learning_rate": 0.01,
    "batch_size": 64,
    "max_epochs": 1,
    "early_stopping": {"patience": 1, "min_delta": 0.0},
    "verbose": 0,
}


@pytest.fixture(scope="session")
def spark() -> Iterator:
    """The test configuration's Spark session (started once per test process)."""
    from mlops_lab.battery.spark_session import spark_session

    config = yaml.safe_load((PROJECT_ROOT / "conf/test/spark.yml").read_text())
    session = spark_session(config)
    yield session
    session.stop()


@pytest.fixture(scope="session")
def series() -> pd.DataFrame:
    frame = make_series({0: 120, 4: 100})
    return frame.assign(
        Number_Of_Trips=4.0,
        Lifetime_Cycles_Used=frame.groupby("Battery_ID")["Daily_Cycles_Used"].cumsum(),
        Battery_Rated_Cycles=200.0,
        Is_Interpolated=False,
    )


@pytest.fixture(scope="session")
def tiny_lstm(series: pd.DataFrame) -> BatteryLstmModel:
    """A one-epoch LSTM on 14-day windows (what it forecasts matters less than that it runs)."""
    from mlops_lab.pipelines.battery_deep_forecasting.nodes import train_battery_lstm

    history, _ = split_last_days(series, 30)
    model, _ = train_battery_lstm(
        history[
            ["Date", "Battery_ID", "Battery_Age_Days", "Daily_Trip_Duration", "Daily_Cycles_Used"]
        ],
        30,
        LSTM_WINDOWS,
        {"units": [4], "dense_units": 0},
        LSTM_TRAINING,
        seed=0,
    )
    return model
