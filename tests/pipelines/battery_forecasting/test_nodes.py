"""Nodes of battery_forecasting on small synthetic series."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.splitting import SeriesTooShortError
from mlops_lab.pipelines.battery_forecasting.nodes import (
    add_ensemble,
    evaluate_on_holdout,
    explain_model,
    plot_residuals,
    plot_validation_forecasts,
    score_promotion_candidates,
    search_forecasters,
    split_holdout,
    train_final_model,
)
from mlops_lab.registry import RegisteredModel

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
    assert (
        metrics["battery.validation.selected.normalized_rmse"]["value"]
        == board["normalized_rmse"].iloc[0]
    )
    # Regression on the known trip duration beats the baselines on this weekly data.
    assert board.iloc[0]["kind"] in {"regression", "ensemble"}


def test_holdout_report_compares_with_the_best_baseline_and_the_floor(searched: dict) -> None:
    result = evaluate_on_holdout(
        searched["ensemble"]["leaderboard"], searched["history"], searched["holdout"], [0]
    )
    report = result["report"]
    assert report["Battery_ID"].tolist() == [0, 3]
    assert report["series"].tolist() == ["real", "fleet"]
    assert report["baseline_model"].iloc[0].startswith("seasonal_naive")
    np.testing.assert_allclose(
        report["ratio_to_baseline"], report["nrmse_selected"] / report["nrmse_baseline"]
    )
    assert (report["ratio_to_baseline"] < 0.8).all()
    metrics = {k: v["value"] for k, v in result["metrics"].items()}
    assert (
        metrics["battery.heldout.best_constant.real_normalized_rmse"]
        == (report["nrmse_best_constant"].iloc[0])
    )
    assert metrics["battery.heldout.selected.fleet_ratio_to_baseline"] == pytest.approx(
        report["ratio_to_baseline"].iloc[1]
    )
    # Which batteries are real is a parameter, not a fact of the code.
    other = evaluate_on_holdout(
        searched["ensemble"]["leaderboard"], searched["history"], searched["holdout"], [3]
    )
    assert other["report"]["series"].tolist() == ["fleet", "real"]
    assert len(result["forecasts"]) == 60


def _registered(model, version: str = "1") -> RegisteredModel:
    """A model as the registry returns it (no MLflow needed for node tests)."""
    return RegisteredModel("battery-cycles", version, None, ("challenger",), model)


def test_final_model_forecasts_the_next_days_and_is_explained(
    searched: dict, series: pd.DataFrame
) -> None:
    model = train_final_model(
        searched["ensemble"]["leaderboard"],
        searched["ensemble"]["best_forecasts"],
        series,
        example_rows=2,
    )
    assert len(model.input_example) == 4
    output = model.forecast(model.input_example)
    first_days = output.groupby("Battery_ID")["Date"].min()
    assert (first_days == series.groupby("Battery_ID")["Date"].max() + pd.Timedelta(days=1)).all()
    assert (output["upper_95"] >= output["lower_95"]).all()
    assert model.spec == json.loads(searched["ensemble"]["leaderboard"]["spec"].iloc[0])


def test_explanations_find_the_trip_duration_that_drives_the_cycles(series: pd.DataFrame) -> None:
    features = {**FEATURES, "covariates": ["Battery_Age_Days", "Daily_Trip_Duration"]}
    spec = {
        "kind": "regression",
        "params": {"estimator": "sklearn.linear_model.Ridge", "alpha": 0.01, "features": features},
    }
    board = pd.DataFrame({"label": ["ridge"], "spec": [json.dumps(spec)], "normalized_rmse": [0.1]})
    errors = pd.DataFrame({"fold": 0, "y_true": [1.0, 1.1], "y_pred": [1.0, 1.0]})
    model = train_final_model(board, errors, series, example_rows=2)
    explained = explain_model(_registered(model), horizon=30, n_local=2, seed=0)
    table = explained["global"]
    # SHAP ran (a silent fallback would say "permutation"), and cycles are rate x duration:
    # recent cycles per minute x today's minutes leads.
    assert table["method"].eq("shap-linear").all()
    assert table["feature"].iloc[0] == "expected_cycles"
    assert table["importance"].is_monotonic_decreasing
    local = explained["local"]
    assert local["row"].nunique() == 2
    assert set(local["feature"]) == set(table["feature"])
    # Local contributions of a linear model are coefficient x (value - mean): nonzero for
    # the duration of a forecast day that differs from the average day.
    duration = local[local["feature"] == "expected_cycles"]
    assert (duration["contribution"].abs() > 0).all()
    assert len(explained["local_plot"].axes) == 2


def test_a_statistical_model_is_said_to_have_no_features(series: pd.DataFrame) -> None:
    board = pd.DataFrame(
        {
            "label": ["naive"],
            "spec": [json.dumps({"kind": "naive", "params": {}})],
            "normalized_rmse": [0.2],
        }
    )
    errors = pd.DataFrame({"fold": 0, "y_true": [1.0, 1.1], "y_pred": [1.0, 1.0]})
    model = train_final_model(board, errors, series, example_rows=1)
    explained = explain_model(_registered(model), horizon=30, n_local=2, seed=0)
    assert "no feature-based model" in explained["global"]["note"].iloc[0]


def test_promotion_scores_refit_both_models_on_the_same_history(searched: dict) -> None:
    history, holdout = searched["history"], searched["holdout"]
    board = searched["ensemble"]["leaderboard"]
    series = pd.concat([history, holdout]).sort_values(["Battery_ID", "Date"])
    best = train_final_model(board, searched["ensemble"]["best_forecasts"], series, 2)
    naive_board = board[board["candidate"] == "naive"]
    naive = train_final_model(naive_board, searched["ensemble"]["best_forecasts"], series, 2)

    first = score_promotion_candidates(_registered(best, "1"), None, history, holdout)
    assert first["champion"] is None
    # The gate's figure is the selected model's hold-out score of evaluate_on_holdout.
    report = evaluate_on_holdout(board, history, holdout, [0])["report"]
    assert first["challenger"] == pytest.approx(report["nrmse_selected"].mean())
    assert first["challenger_metrics"]["battery.heldout.normalized_rmse"] == first["challenger"]
    assert 0.5 < first["challenger_metrics"]["battery.heldout.interval_95_coverage"] <= 1.0
    assert "60 battery-days" in first["data"]

    second = score_promotion_candidates(
        _registered(naive, "2"), _registered(best, "1"), history, holdout
    )
    assert second["champion"] == pytest.approx(first["challenger"])
    assert second["challenger"] > 2 * second["champion"]  # naive is far worse here
    same = score_promotion_candidates(
        _registered(best, "1"), _registered(best, "1"), history, holdout
    )
    assert same["champion"] is None


def test_plots_show_every_battery_and_the_residuals(searched: dict) -> None:
    forecasts = searched["ensemble"]["best_forecasts"]
    figure = plot_validation_forecasts(forecasts, columns=2)
    assert [ax.get_title() for ax in figure.axes] == ["battery 0", "battery 3"]
    last = forecasts[forecasts["fold"] == forecasts["fold"].max()]
    lines = figure.axes[0].get_lines()
    assert len(lines[0].get_xdata()) == int((last["Battery_ID"] == 0).sum())
    residuals = plot_residuals(forecasts)
    counts = residuals.axes[1].patches
    assert sum(patch.get_height() for patch in counts) == len(forecasts)
