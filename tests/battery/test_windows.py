"""Sliding windows of the LSTM: no look-ahead, batteries kept apart, scaling on train only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.windows import (
    FEATURES,
    Scaler,
    day_features,
    sliding_windows,
    training_cutoff,
)


@pytest.fixture
def series() -> pd.DataFrame:
    frame = make_series({1: 40, 2: 30})
    # Cycles that encode the day: row k of battery b holds b * 1000 + k.
    day = frame.groupby("Battery_ID").cumcount()
    return frame.assign(Daily_Cycles_Used=frame["Battery_ID"] * 1000 + day.astype(float))


def test_targets_are_the_days_after_the_inputs(series: pd.DataFrame) -> None:
    windows = sliding_windows(series, length=7, horizon=3)
    assert windows.inputs.shape[1:] == (7, len(FEATURES))
    assert len(windows) == (40 - 10 + 1) + (30 - 10 + 1)
    for inputs, targets, battery in zip(
        windows.inputs, windows.targets, windows.battery, strict=True
    ):
        days = inputs[:, 0] - battery * 1000
        # Inputs are 7 consecutive days of one battery, the targets the 3 days after them.
        np.testing.assert_array_equal(days, np.arange(days[0], days[0] + 7))
        np.testing.assert_array_equal(targets - battery * 1000, days[-1] + np.array([1, 2, 3]))
    ends = pd.to_datetime(windows.last_input_day)
    first = series[series["Battery_ID"] == 1]["Date"].min()
    assert ends[0] == first + pd.Timedelta(days=6)


def test_target_bounds_keep_validation_days_out_of_training(series: pd.DataFrame) -> None:
    cutoff = training_cutoff(series, validation_days=10)
    train = sliding_windows(series, 7, 3, last_target_until=cutoff)
    validation = sliding_windows(series, 7, 3, first_target_after=cutoff)
    for windows, inside in ((train, lambda t, c: t <= c), (validation, lambda t, c: t > c)):
        for targets, battery in zip(windows.targets, windows.battery, strict=True):
            last_train_day = (cutoff.loc[battery] - series["Date"].min()).days + battery * 1000
            assert inside(targets, last_train_day).all()
    # Every window whose whole target lies after the cutoff is a validation window.
    assert len(validation) == 2 * (10 - 3 + 1)


def test_stride_keeps_the_newest_window(series: pd.DataFrame) -> None:
    every = sliding_windows(series, 7, 3)
    third = sliding_windows(series, 7, 3, stride=3)
    assert len(third) < len(every) / 2
    newest = every.targets[every.battery == 2][-1]
    np.testing.assert_array_equal(third.targets[third.battery == 2][-1], newest)


def test_a_battery_shorter_than_a_window_gives_none(series: pd.DataFrame) -> None:
    windows = sliding_windows(series, length=35, horizon=3)
    assert set(windows.battery) == {1}


def test_scaler_standardises_and_maps_targets_back() -> None:
    features = day_features(make_series({1: 50}))
    scaler = Scaler.fit(features)
    scaled = scaler.transform(features)
    np.testing.assert_allclose(scaled.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(scaled.std(axis=0), 1, atol=1e-4)
    cycles = features[:, 0]
    np.testing.assert_allclose(
        scaler.target_to_cycles(scaler.cycles_to_target(cycles)), cycles, rtol=1e-5
    )
