"""Nodes of battery_deep_forecasting on small synthetic series."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.splitting import split_last_days
from mlops_lab.battery.windows import day_features
from mlops_lab.pipelines.battery_deep_forecasting.nodes import (
    combine_leaderboards,
    evaluate_battery_lstm,
    score_promotion_candidates,
    summarise_lstm_training,
    train_battery_lstm,
)
from mlops_lab.pipelines.battery_forecasting.nodes import evaluate_on_holdout
from mlops_lab.registry import RegisteredModel

HORIZON = 30
WINDOWS = {"length": 14, "stride": 2, "validation_days": 40}
NETWORK = {"units": [8], "dense_units": 0}
TRAINING = {
    "learning_rate": 0.01,
    "batch_size": 64,
    "max_epochs": 3,
    "early_stopping": {"patience": 2, "min_delta": 0.0},
    "verbose": 0,
}


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    return split_last_days(make_series({0: 200, 3: 180, 5: 190}), HORIZON)


@pytest.fixture(scope="module")
def trained(split) -> tuple:
    history, _ = split
    return train_battery_lstm(history, HORIZON, WINDOWS, NETWORK, TRAINING, seed=0)


def _registered(model, version: str) -> RegisteredModel:
    return RegisteredModel("battery-cycles-lstm", version, None, ("challenger",), model)


def test_training_scales_on_training_days_only_and_restores_the_best_epoch(split, trained) -> None:
    history, _ = split
    model, record = trained
    last = history.groupby("Battery_ID")["Date"].transform("max")
    training_days = history[history["Date"] <= last - pd.Timedelta(days=40)]
    np.testing.assert_allclose(
        model.scaler.mean, day_features(training_days).mean(axis=0), rtol=1e-5
    )
    assert record["epochs_run"] == len(record["loss"]) == len(record["val_loss"])
    assert record["val_loss"][record["best_epoch"] - 1] == min(record["val_loss"])
    # Windows of 14 + 30 days; validation targets are the last 40 history days: 11 a battery.
    assert record["validation_windows"] == 3 * (40 - 30 + 1)
    # Changing the validation days does not change the scaling.
    changed = history.assign(
        Daily_Cycles_Used=history["Daily_Cycles_Used"].where(
            history["Date"] <= last - pd.Timedelta(days=40), 99.0
        )
    )
    again, _ = train_battery_lstm(
        changed, HORIZON, WINDOWS, NETWORK, {**TRAINING, "max_epochs": 1}, 0
    )
    assert again.scaler == model.scaler
    assert len(model.input_example) == 14


def test_training_summary_logs_epochs_from_one(trained) -> None:
    _, record = trained
    figure, metrics = summarise_lstm_training(record)
    history = metrics["battery.epoch.lstm.loss"]
    assert [entry["step"] for entry in history] == list(range(1, record["epochs_run"] + 1))
    assert [entry["value"] for entry in metrics["battery.validation.lstm.loss"]] == record[
        "val_loss"
    ]
    assert figure.axes[0].get_xlabel() == "epoch"


def test_heldout_scores_and_gate_scores_agree(split, trained) -> None:
    history, holdout = split
    model, _ = trained
    evaluated = evaluate_battery_lstm(_registered(model, "1"), history, holdout)
    report = evaluated["report"]
    assert report["Battery_ID"].tolist() == [0, 3, 5]
    assert len(evaluated["forecasts"]) == len(holdout) == 90
    macro = evaluated["metrics"]["battery.heldout.lstm.normalized_rmse"]["value"]
    assert macro == pytest.approx(report["normalized_rmse"].mean())
    # The LSTM learnt the level of these series: far better than predicting zero cycles.
    ranges = history.groupby("Battery_ID")["Daily_Cycles_Used"].agg(np.ptp)
    zero = holdout.groupby("Battery_ID")["Daily_Cycles_Used"].apply(
        lambda y: np.sqrt((y**2).mean())
    )
    assert macro < 0.5 * (zero / ranges).mean()

    first = score_promotion_candidates(_registered(model, "1"), None, history, holdout)
    assert first["challenger"] == pytest.approx(macro)
    assert first["champion"] is None
    assert "90 battery-days" in first["data"]
    assert (
        first["challenger_metrics"]["battery.heldout.lstm.normalized_rmse"] == first["challenger"]
    )

    untrained, _ = train_battery_lstm(
        history, HORIZON, WINDOWS, NETWORK, {**TRAINING, "learning_rate": 1e-7, "max_epochs": 1}, 1
    )
    second = score_promotion_candidates(
        _registered(untrained, "2"), _registered(model, "1"), history, holdout
    )
    assert second["champion"] == pytest.approx(first["challenger"])
    assert second["challenger"] > second["champion"]


def test_combined_leaderboard_scores_automl_like_its_holdout_report(split, trained) -> None:
    history, holdout = split
    model, record = trained
    specs = {
        "naive({})": ("naive", {"kind": "naive", "params": {}}, 0.3),
        "seasonal_naive": (
            "seasonal_naive",
            {"kind": "seasonal_naive", "params": {"season": 7}},
            0.2,
        ),
    }
    leaderboard = (
        pd.DataFrame(
            [
                {
                    "label": label,
                    "kind": kind,
                    "spec": json.dumps(spec),
                    "status": "ok",
                    "normalized_rmse": score,
                    "fit_time_s": 0.1,
                }
                for label, (kind, spec, score) in specs.items()
            ]
        )
        .sort_values("normalized_rmse")
        .reset_index(drop=True)
    )
    lstm_report = evaluate_battery_lstm(_registered(model, "1"), history, holdout)["report"]
    board, figure = combine_leaderboards(leaderboard, lstm_report, record, history, holdout, None)
    assert board["rank"].tolist() == list(range(1, 5))
    assert board["heldout_nrmse"].is_monotonic_increasing
    assert set(board["model"]) == {
        "naive({})",
        "seasonal_naive",
        "lstm",
        "best constant in hindsight",
    }
    automl = evaluate_on_holdout(leaderboard, history.assign(), holdout, [0])["report"]
    row = board.set_index("model").loc["seasonal_naive"]
    assert row["heldout_nrmse"] == pytest.approx(automl["nrmse_selected"].mean())
    lstm = board.set_index("model").loc["lstm"]
    assert lstm["heldout_nrmse"] == pytest.approx(lstm_report["normalized_rmse"].mean())
    assert lstm["fit_seconds"] == record["train_seconds"]
    assert [label.get_text() for label in figure.axes[0].get_yticklabels()][-1] == board[
        "model"
    ].iloc[0]
