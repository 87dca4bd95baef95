"""Occlusion over the LSTM's input window, and the LSTM's report, on a network whose
evidence is known and on the tiny trained LSTM."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.lstm import BatteryLstmModel
from mlops_lab.battery.splitting import split_last_days
from mlops_lab.battery.windows import FEATURES, Scaler, day_features
from mlops_lab.pipelines.battery_deep_forecasting.nodes import (
    build_battery_lstm_report,
    evaluate_battery_lstm,
    explain_battery_lstm,
    train_battery_lstm,
)
from mlops_lab.registry import RegisteredModel

from .test_nodes import HORIZON, NETWORK, TRAINING, WINDOWS

REPORT = {
    "real_batteries": [0],
    "intended_use": "streaming forecasts",
    "limitations": "tiny network",
    "bootstrap": {"resamples": 100, "block_days": 7, "seed": 0},
}


def _registered(model) -> RegisteredModel:
    return RegisteredModel("battery-cycles-lstm", "1", None, ("challenger",), model)


def _last_days_reader(history: pd.DataFrame, length: int, days: int) -> BatteryLstmModel:
    """A network with set weights: each forecast day is the mean scaled cycles of the last
    ``days`` input days; nothing else of the window counts."""
    inputs = keras.Input((length, len(FEATURES)))
    recent = keras.layers.Cropping1D((length - days, 0))(inputs)
    dense = keras.layers.Dense(HORIZON)
    network = keras.Model(inputs, dense(keras.layers.Flatten()(recent)))
    weights = np.zeros((days * len(FEATURES), HORIZON), "float32")
    weights[0 :: len(FEATURES)] = 1 / days  # the cycles column of each kept day
    dense.set_weights([weights, np.zeros(HORIZON, "float32")])
    scaler = Scaler.fit(day_features(history))
    example = history.groupby("Battery_ID").tail(length)
    return BatteryLstmModel(network, scaler, length, HORIZON, example, "last-days reader")


def test_only_the_input_the_network_reads_gets_an_attribution() -> None:
    history = make_series({0: 120, 1: 110})
    model = _last_days_reader(history, length=21, days=3)
    explained, figure = explain_battery_lstm(_registered(model), history, 7)
    blocks = explained.set_index(["feature", "block"])["mean_abs_change"]
    assert blocks[("Daily_Cycles_Used", "7-1")] > 0.01  # the newest week holds the 3 days
    assert blocks[("Daily_Cycles_Used", "whole window")] == pytest.approx(
        blocks[("Daily_Cycles_Used", "7-1")], rel=1e-5
    )
    others = explained[
        (explained["feature"] != "Daily_Cycles_Used") | explained["block"].isin(["21-15", "14-8"])
    ]
    assert others["mean_abs_change"].max() < 1e-6
    assert explained["batteries"].eq(2).all() and explained["model"].eq("last-days reader").all()
    assert len(explained) == len(FEATURES) * 4  # three weekly blocks and the whole window
    assert figure.axes[0].get_xlabel() == "days before the forecast origin (covered block)"
    with pytest.raises(ValueError, match="block_days 30 must be between 1 and the window of 21"):
        explain_battery_lstm(_registered(model), history, 30)


@pytest.mark.slow  # trains the tiny LSTM
def test_lstm_report_has_its_card_intervals_and_attribution() -> None:
    history, holdout = split_last_days(make_series({0: 200, 3: 180}), HORIZON)
    model, _ = train_battery_lstm(history, HORIZON, WINDOWS, NETWORK, TRAINING, seed=0)
    evaluated = evaluate_battery_lstm(_registered(model), history, holdout)
    attribution, _ = explain_battery_lstm(_registered(model), history, 7)
    promotion = {"model_name": "battery-cycles-lstm", "challenger": {"version": "1"}}
    html, copy = build_battery_lstm_report(
        evaluated["report"],
        evaluated["forecasts"],
        history,
        promotion,
        attribution,
        REPORT,
        7,
    )
    assert html == copy
    assert html.count("<h2>") == 2 and html.count("<img") == 1
    macro = evaluated["metrics"]["battery.heldout.lstm.normalized_rmse"]["value"]
    assert f"{macro:.3f} [" in html  # the point figure of the interval is the held-out score
    assert model.description in html
