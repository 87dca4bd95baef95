"""Nodes of battery_forecasting on small synthetic series."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from tests.battery.synthetic import make_series

from mlops_lab.battery.splitting import SeriesTooShortError
from mlops_lab.pipelines.battery_forecasting.nodes import (
    add_ensemble,
    evaluate_on_holdout,
    explain_model,
    plot_residuals,
    plot_validation_forecasts,
    search_forecasters,
    split_holdout,
    train_final_model,
)

FEATURES = {"lags": [30, 35], "windows": [7], "rate_window": 14}
CANDIDATES = [
    {"name": "naive", "kind": "naive"},
    {"name": "seasonal_naive", "kind": "seasonal_naive", "grid": {"season": [7]}},
    {
        "name": "ridge",
        "kind": "regression",
        "fixed": {"estimator": "sklearn.linear_model.Ridge", "features": FEATURES},
        "grid": {"alpha": [0.01, 1.0]},
    },
    {
        "name": "tree",
        "kind": "regression",
        "fixed": {
            "estimator": "sklearn.tree.DecisionTreeRegressor",
            "random_state": 0,
            "features": FEATURES,
        },
        "grid": {"max_depth": [4]},
    },
]
VALIDATION = {"n_folds": 2, "step": 20, "min_train_days": 90}
SEARCH = {
    "time_budget_s": 60,
    "exit_score": None,
    "patience": None,
    "n_jobs": 1,
    "max_configs_per_candidate": None,
}


@pytest.fixture(scope="module")
def series() -> pd.DataFrame:
    frame = make_series({0: 230, 3: 200})
    return frame.assign(Number_Of_Trips=5.0, Is_Interpolated=False)


@pytest.fixture(scope="module")
def searched(series: pd.DataFrame) -> dict:
    history, holdout = split_holdout(series, 30)
    search = search_forecasters(history, CANDIDATES, 30, VALIDATION, SEARCH, seed=0)
    ensemble = add_ensemble(
        search["leaderboard"],
        search["forecasts"],
        history,
        30,
        VALIDATION,
        {"top_k": 4, "rounds": 6},
    )
    return {"history": history, "holdout": holdout, "search": search, "ensemble": ensemble}


def test_split_holdout_keeps_the_model_columns(series: pd.DataFrame) -> None:
    history, holdout = split_holdout(series, 30)
    assert list(history.columns) == [
        "Date",
        "Battery_ID",
        "Battery_Age_Days",
        "Daily_Trip_Duration",
        "Daily_Cycles_Used",
    ]
    assert holdout.groupby("Battery_ID").size().to_dict() == {0: 30, 3: 30}


def test_search_lists_every_configuration_with_fold_scores(searched: dict) -> None:
    board, summary = searched["search"]["leaderboard"], searched["search"]["summary"]
    assert board["candidate"].tolist().count("ridge") == 2
    assert len(board) == 5
    assert (board["status"] == "ok").all()
    assert {
        "fold_0_normalized_rmse",
        "fold_1_normalized_rmse",
        "normalized_rmse",
        "smape",
        "r2",
        "fit_time_s",
    } <= set(board.columns)
    assert summary["stop_reason"] == "all candidates evaluated"
    assert summary["configurations_evaluated"] == 5
    assert len(searched["search"]["forecasts"]) == 5 * 2 * 2 * 30


def test_search_says_how_much_history_a_short_series_needs(series: pd.DataFrame) -> None:
    with pytest.raises(SeriesTooShortError, match="needs at least 350 days"):
        search_forecasters(
            series, CANDIDATES, 30, {"n_folds": 3, "step": 50, "min_train_days": 220}, SEARCH, 0
        )


def test_ensemble_is_ranked_with_the_candidates(searched: dict) -> None:
    board = searched["ensemble"]["leaderboard"]
    assert board["rank"].tolist() == list(range(1, len(board) + 1))
    assert board["normalized_rmse"].is_monotonic_increasing
    metrics = searched["ensemble"]["best_metrics"]
    assert metrics["best_normalized_rmse"]["value"] == board["normalized_rmse"].iloc[0]
    # Regression on the known trip duration beats the baselines on this weekly data.
    assert board.iloc[0]["kind"] in {"regression", "ensemble"}
    if "ensemble" in set(board["kind"]):
        spec = json.loads(board.set_index("label").loc["ensemble", "spec"])
        assert sum(member["weight"] for member in spec["members"]) == pytest.approx(1.0)


def test_holdout_report_compares_with_the_best_baseline_and_the_floor(searched: dict) -> None:
    result = evaluate_on_holdout(
        searched["ensemble"]["leaderboard"], searched["history"], searched["holdout"]
    )
    report = result["report"]
    assert report["Battery_ID"].tolist() == [0, 3]
    assert report["baseline_model"].iloc[0].startswith("seasonal_naive")
    np.testing.assert_allclose(
        report["ratio_to_baseline"], report["nrmse_selected"] / report["nrmse_baseline"]
    )
    assert (report["ratio_to_baseline"] < 0.8).all()
    assert (
        result["metrics"]["holdout_battery0_floor"]["value"]
        == report["nrmse_best_constant"].iloc[0]
    )
    assert len(result["forecasts"]) == 60


def test_final_model_forecasts_the_next_days_and_is_explained(
    searched: dict, series: pd.DataFrame
) -> None:
    model = train_final_model(
        searched["ensemble"]["leaderboard"],
        searched["ensemble"]["best_forecasts"],
        series[
            ["Date", "Battery_ID", "Battery_Age_Days", "Daily_Trip_Duration", "Daily_Cycles_Used"]
        ],
        example_rows=2,
    )
    assert len(model.input_example) == 4
    output = model.forecast(model.input_example)
    first_days = output.groupby("Battery_ID")["Date"].min()
    assert (first_days == series.groupby("Battery_ID")["Date"].max() + pd.Timedelta(days=1)).all()
    assert (output["upper_95"] >= output["lower_95"]).all()
    explained = explain_model(model, horizon=30, n_local=2, seed=0)
    assert explained["global"]["importance"].iloc[0] >= explained["global"]["importance"].iloc[-1]
    method = explained["global"]["method"].iloc[0]
    assert explained["local"]["row"].nunique() == (2 if method.startswith("shap") else 0)
    assert isinstance(explained["global_plot"], Figure)


def test_plots_are_figures(searched: dict) -> None:
    forecasts = searched["ensemble"]["best_forecasts"]
    assert len(plot_validation_forecasts(forecasts, columns=2).axes) == 2
    assert isinstance(plot_residuals(forecasts), Figure)
