"""The search: configurations, exit criteria (exit score, time budget, patience), ensemble."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_lab.battery.search import (
    Configuration,
    evaluate_configuration,
    expand_configurations,
    fold_ranges,
    greedy_ensemble,
    run_search,
)
from mlops_lab.battery.splitting import rolling_origin_folds

RIDGE = {
    "estimator": "sklearn.linear_model.Ridge",
    "features": {"lags": [30], "windows": [7], "rate_window": 14},
}


def _folds(series: pd.DataFrame) -> list:
    return rolling_origin_folds(series, n_folds=2, step=15, horizon=30, min_train_days=90)


def _configurations() -> list[Configuration]:
    return expand_configurations(
        [
            {"name": "naive", "kind": "naive"},
            {
                "name": "ridge",
                "kind": "regression",
                "fixed": RIDGE,
                "grid": {"alpha": [0.1, 1.0, 10.0]},
            },
            {"name": "average", "kind": "average", "grid": {"window": [7, 28]}},
        ],
        max_per_candidate=None,
        seed=0,
    )


def test_expand_configurations_samples_large_grids_with_the_seed() -> None:
    candidates = [{"name": "m", "kind": "average", "grid": {"window": [7, 14, 28, 56, 91]}}]
    first = expand_configurations(candidates, max_per_candidate=2, seed=3)
    assert len(first) == 2
    assert first == expand_configurations(candidates, max_per_candidate=2, seed=3)
    assert len(expand_configurations(candidates, max_per_candidate=None, seed=3)) == 5
    assert first[0].label.startswith('m({"window": ')


def test_evaluate_configuration_scores_every_fold(series: pd.DataFrame) -> None:
    folds = _folds(series)
    result = evaluate_configuration(_configurations()[0], series, folds, fold_ranges(series, folds))
    assert result["status"] == "ok"
    assert len(result["fold_scores"]) == 2
    assert len(result["forecasts"]) == 2 * 2 * 30  # folds x batteries x horizon
    assert result["metrics"]["normalized_rmse"] == np.mean(result["fold_scores"])
    failed = evaluate_configuration(
        Configuration("bad", "average", {"window": "x"}), series, folds, fold_ranges(series, folds)
    )
    assert failed["status"] == "failed"
    assert "TypeError" in failed["error"]


def test_search_stops_at_the_exit_score_but_not_on_a_baseline(series: pd.DataFrame) -> None:
    outcome = run_search(
        _configurations(), series, _folds(series), 60, exit_score=10.0, patience=None, n_jobs=1
    )
    # naive (a baseline) reaches 10.0 but does not stop the search; the first ridge does.
    assert [r["configuration"].candidate for r in outcome.results] == ["naive", "ridge"]
    assert outcome.stop_reason.startswith("exit score 10 reached by ridge")


def test_search_honours_the_time_budget(series: pd.DataFrame) -> None:
    outcome = run_search(
        _configurations(), series, _folds(series), 0, exit_score=None, patience=None, n_jobs=1
    )
    assert outcome.results == []
    assert outcome.stop_reason == "time budget of 0 s reached"


def test_search_stops_after_patience_without_improvement(series: pd.DataFrame) -> None:
    outcome = run_search(
        _configurations(), series, _folds(series), 60, exit_score=None, patience=2, n_jobs=1
    )
    scores = [r["metrics"]["normalized_rmse"] for r in outcome.results]
    assert outcome.stop_reason == "no improvement in 2 candidates"
    assert min(scores[-2:]) >= min(scores[:-2])


def test_search_in_parallel_evaluates_everything_without_criteria(series: pd.DataFrame) -> None:
    outcome = run_search(
        _configurations(), series, _folds(series), 120, exit_score=None, patience=None, n_jobs=2
    )
    assert len(outcome.results) == 6
    assert outcome.stop_reason == "all candidates evaluated"


def test_greedy_ensemble_finds_the_average_of_opposite_errors() -> None:
    rows = pd.DataFrame(
        {"fold": [0, 0, 0, 0], "Battery_ID": [1, 1, 1, 1], "y_true": [1.0, 2.0, 3.0, 4.0]}
    )
    forecasts = {
        "high": rows.assign(y_pred=rows["y_true"] + 0.5),
        "low": rows.assign(y_pred=rows["y_true"] - 0.5),
        "bad": rows.assign(y_pred=rows["y_true"] + 2.0),
    }
    weights, score = greedy_ensemble(forecasts, [pd.Series({1: 3.0})], size=10)
    assert weights == {"high": 0.5, "low": 0.5}
    assert score == 0.0
