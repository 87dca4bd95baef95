"""Nodes of battery_forecasting on small synthetic series."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series

from mlops_lab.battery.explanations import NO_FEATURES
from mlops_lab.battery.report import holdout_intervals
from mlops_lab.battery.splitting import SeriesTooShortError
from mlops_lab.pipelines.battery_forecasting.nodes import (
    add_ensemble,
    build_battery_report,
    check_horizon,
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
from mlops_lab.reporting.intervals import Estimate

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


BAD_HORIZONS = ["abc", "30", 0, -3, 1.5, True, None]


@pytest.mark.parametrize("horizon", BAD_HORIZONS, ids=repr)
def test_a_horizon_that_is_not_a_positive_whole_number_is_named(
    series: pd.DataFrame, horizon: object
) -> None:
    expected = (
        "Parameter 'battery_forecasting.horizon' must be a positive whole number of days "
        f"(1 or more, e.g. 30); got {horizon!r}."
    )
    with pytest.raises(ValueError) as refused:
        split_holdout(series, horizon)
    assert str(refused.value) == expected
    with pytest.raises(ValueError) as refused:  # a run started after the split checks too
        search_forecasters(series, CANDIDATES, horizon, VALIDATION, SEARCH, seed=0)
    assert str(refused.value) == expected


def test_a_whole_number_horizon_is_days(series: pd.DataFrame) -> None:
    assert check_horizon(1) == 1
    assert type(check_horizon(np.int64(7))) is int
    history, holdout = split_holdout(series, np.int64(1))
    assert holdout.groupby("Battery_ID").size().to_dict() == {0: 1, 3: 1}
    assert len(history) == len(series) - 2


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


def _ridge_model(series: pd.DataFrame, estimator: str = "sklearn.linear_model.Ridge"):
    features = {**FEATURES, "covariates": ["Battery_Age_Days", "Daily_Trip_Duration"]}
    spec = {"kind": "regression", "params": {"estimator": estimator, "features": features}}
    if estimator.endswith("Ridge"):
        spec["params"]["alpha"] = 0.01
    board = pd.DataFrame({"label": ["ridge"], "spec": [json.dumps(spec)], "normalized_rmse": [0.1]})
    errors = pd.DataFrame({"fold": 0, "y_true": [1.0, 1.1], "y_pred": [1.0, 1.0]})
    return train_final_model(board, errors, series, example_rows=2)


def test_explanations_find_the_trip_duration_that_drives_the_cycles(series: pd.DataFrame) -> None:
    explained = explain_model(_registered(_ridge_model(series)), horizon=30, n_local=2)
    table = explained["global"]
    # SHAP ran, and cycles are rate x duration: recent cycles per minute x today's
    # minutes leads.
    assert table["method"].eq("shap-linear").all()
    assert table["feature"].iloc[0] == "expected_cycles"
    assert table["importance"].is_monotonic_decreasing
    values = explained["shap_values"]
    assert sorted(values["Battery_ID"].unique()) == [0, 3]
    assert values.groupby("Battery_ID").size().tolist() == [30, 30]  # min_lag direct days
    contributions = values[[c for c in values.columns if c.startswith("shap:")]]
    assert {c.removeprefix("shap:") for c in contributions.columns} == set(table["feature"])
    # SHAP values add up: base value + contributions = the forecast of each day.
    total = values["base_value"] + contributions.sum(axis=1)
    np.testing.assert_allclose(total, values["forecast"], rtol=1e-6, atol=1e-9)
    # The plots are SHAP's: the bar plot names the leading feature.
    labels = [t.get_text() for t in explained["bar_plot"].axes[0].get_yticklabels()]
    assert "expected_cycles" in labels
    assert explained["waterfall_plot"].axes


def test_a_regressor_shap_cannot_explain_is_an_error(series: pd.DataFrame) -> None:
    model = _ridge_model(series, "sklearn.neighbors.KNeighborsRegressor")
    with pytest.raises(ValueError, match="No SHAP explainer for a KNeighborsRegressor"):
        explain_model(_registered(model), horizon=30, n_local=2)


def test_a_statistical_model_is_said_to_have_no_features(
    series: pd.DataFrame, evaluated: tuple, caplog: pytest.LogCaptureFixture
) -> None:
    board = pd.DataFrame(
        {
            "label": ["naive"],
            "spec": [json.dumps({"kind": "naive", "params": {}})],
            "normalized_rmse": [0.2],
        }
    )
    errors = pd.DataFrame({"fold": 0, "y_true": [1.0, 1.1], "y_pred": [1.0, 1.0]})
    model = train_final_model(board, errors, series, example_rows=1)
    with caplog.at_level("WARNING"):
        explained = explain_model(_registered(model), horizon=30, n_local=2)
    assert explained["global"]["method"].iloc[0] == NO_FEATURES
    assert explained["shap_values"]["method"].iloc[0] == NO_FEATURES
    assert "No SHAP explanation" in caplog.text
    assert NO_FEATURES in explained["bar_plot"].texts[0].get_text()
    html, copy = build_battery_report(*evaluated, explained["shap_values"], [0], REPORT, 2)
    assert html == copy
    assert f"No SHAP explanation of {model.description}: {NO_FEATURES}." in html
    assert "<img" not in html


REPORT = {
    "intended_use": "planning swaps",
    "limitations": "simulated fleet",
    "bootstrap": {"resamples": 200, "block_days": 7, "seed": 0},
}


@pytest.fixture(scope="module")
def evaluated(searched: dict) -> tuple:
    """Hold-out report, forecasts, history and a promotion decision, as the report takes."""
    result = evaluate_on_holdout(
        searched["ensemble"]["leaderboard"], searched["history"], searched["holdout"], [0]
    )
    promotion = {"model_name": "battery-cycles", "challenger": {"version": "1"}, "reason": "first"}
    return result["report"], result["forecasts"], searched["history"], promotion


def test_report_gives_held_out_figures_with_intervals_and_the_shap_plots(
    series: pd.DataFrame, evaluated: tuple
) -> None:
    report, forecasts, history, _ = evaluated
    intervals = holdout_intervals(forecasts, history, [0], 200, 7, 0)  # as REPORT
    assert intervals[["series", "model"]].to_numpy().tolist() == [
        ["all", "selected"],
        ["real", "selected"],
        ["fleet", "selected"],
        ["all", "baseline"],
        ["real", "baseline"],
        ["fleet", "baseline"],
    ]
    # The point figure is the macro-average of the per-battery scores of the hold-out report.
    selected_all = intervals.iloc[0]
    assert selected_all["value"] == pytest.approx(report["nrmse_selected"].mean())
    assert selected_all["low"] < selected_all["value"] < selected_all["high"]
    real = intervals.iloc[1]
    assert real["value"] == pytest.approx(report.loc[report["Battery_ID"] == 0, "nrmse_selected"])
    # A perfect forecast has a degenerate interval at zero.
    perfect = holdout_intervals(
        forecasts.assign(y_pred=forecasts["y_true"]), history, [0], 50, 7, 0
    )
    assert perfect.loc[perfect["model"] == "selected", ["value", "low", "high"]].eq(0).all().all()

    explained = explain_model(_registered(_ridge_model(series)), horizon=30, n_local=2)
    html, _ = build_battery_report(*evaluated, explained["shap_values"], [0], REPORT, 2)
    assert html.count("<img") == 4  # bar, beeswarm, a waterfall for each of 2 batteries
    assert str(Estimate(**selected_all[["value", "low", "high"]].to_dict())) in html
    assert "Battery 0: the lab&#x27;s real series; batteries 3: simulated" in html


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
