"""The LSTM network and the registered pyfunc ``battery-cycles-lstm`` on raw history rows."""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.lstm import BatteryLstmModel, build_network
from mlops_lab.battery.lstm_inference import INPUT_COLUMNS
from mlops_lab.battery.windows import Scaler, day_features
from mlops_lab.validation import InputValidationError

WINDOW, HORIZON = 14, 5


@pytest.fixture(scope="module")
def model() -> BatteryLstmModel:
    keras.utils.set_random_seed(0)
    history = make_series({1: 60, 2: 60})
    network = build_network(WINDOW, HORIZON, [4], 0, 0.01)
    example = history[history["Battery_ID"] == 1].tail(WINDOW)[INPUT_COLUMNS]
    return BatteryLstmModel(
        network, Scaler.fit(day_features(history)), WINDOW, HORIZON, example, "test LSTM"
    )


def test_lstm_layers_keep_the_cudnn_conditions() -> None:
    network = build_network(WINDOW, HORIZON, [8, 4], 3, 0.01)
    lstms = [layer for layer in network.layers if isinstance(layer, keras.layers.LSTM)]
    assert [layer.units for layer in lstms] == [8, 4]
    assert [layer.return_sequences for layer in lstms] == [True, False]
    for layer in lstms:
        config = layer.get_config()
        assert config["activation"] == "tanh"
        assert config["recurrent_activation"] == "sigmoid"
        assert config["recurrent_dropout"] == 0
        assert config["unroll"] is False
        assert config["use_bias"] is True
    assert network.output_shape == (None, HORIZON)


def test_forecast_continues_each_battery_from_its_last_day(model: BatteryLstmModel) -> None:
    history = make_series({1: 30, 7: 20}, seed=3)
    output = model.predict(None, history)
    assert list(output.columns) == ["Date", "Battery_ID", "forecast"]
    assert output.groupby("Battery_ID").size().to_dict() == {1: HORIZON, 7: HORIZON}
    for battery_id, group in output.groupby("Battery_ID"):
        last = history.loc[history["Battery_ID"] == battery_id, "Date"].max()
        expected = pd.date_range(last + pd.Timedelta(days=1), periods=HORIZON, freq="D")
        assert group["Date"].tolist() == expected.tolist()
    # Only the last WINDOW days matter: older rows (or their order) change nothing.
    shuffled = history[history.groupby("Battery_ID").cumcount(ascending=False) < WINDOW]
    again = model.predict(None, shuffled.sample(frac=1.0, random_state=0))
    np.testing.assert_allclose(again["forecast"], output["forecast"], rtol=1e-5)
    assert model.signature().inputs.input_names() == INPUT_COLUMNS


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: f.drop(columns="Daily_Cycles_Used"),
            r"missing column\(s\) \['Daily_Cycles_Used'\]",
        ),
        (lambda f: f.tail(9), r"battery 1 has 9 day\(s\) of history; the model needs its last 14"),
        (lambda f: f.drop(index=f.index[-3]), r"last 14 days are not consecutive"),
        (
            lambda f: f.assign(Daily_Trip_Duration=f["Daily_Trip_Duration"].where(f.index != 25)),
            r"column 'Daily_Trip_Duration' expected a non-negative number; failed at rows \[25\]",
        ),
        (
            lambda f: f.assign(Daily_Cycles_Used=-f["Daily_Cycles_Used"]),
            r"column 'Daily_Cycles_Used' expected a non-negative number; failed at rows \[0, 1",
        ),
        (
            lambda f: f.assign(Date=f["Date"].astype(str).where(f.index != 4, "2015-02-30")),
            r"column 'Date' expected a date; failed at rows \[4\]",
        ),
        (lambda f: pd.concat([f, f.tail(1)]), r"battery 1 has day 2015-01-30 more than once"),
        (
            lambda f: f.assign(Date=pd.date_range(end="2262-04-08", periods=len(f))),
            r"column 'Date' expected a date up to 2262-04-06 \(the 5 forecast day\(s\) after it "
            r"must be dates\); failed at rows \[28, 29\]",
        ),
    ],
    ids=["column", "too-short", "gap", "nan", "negative", "bad-date", "duplicate", "calendar"],
)
def test_bad_history_is_refused_with_the_reason(model: BatteryLstmModel, change, message) -> None:
    history = make_series({1: 30})
    with pytest.raises(InputValidationError, match=message):
        model.predict(None, change(history))
    with pytest.raises(InputValidationError, match=message):  # the streaming scorer's checks
        model.streaming_twin().last_windows(change(history))


def test_numpy_twin_forecasts_what_keras_forecasts() -> None:
    keras.utils.set_random_seed(1)
    history = make_series({1: 60, 2: 60})
    network = build_network(WINDOW, HORIZON, [6, 3], 4, 0.01)
    example = history[history["Battery_ID"] == 1].tail(WINDOW)[INPUT_COLUMNS]
    model = BatteryLstmModel(
        network, Scaler.fit(day_features(history)), WINDOW, HORIZON, example, "two layers"
    )
    twin = model.streaming_twin()
    assert [len(layer) for layer in twin.lstm] == [3, 3] and [d[2] for d in twin.dense] == [
        True,
        False,
    ]
    features, _ = model.last_windows(history)
    np.testing.assert_allclose(
        twin.forecast_windows(features), model.forecast_windows(features), rtol=1e-4, atol=1e-6
    )
