"""AutoML-style search: candidate configurations scored by rolling-origin validation.

:func:`expand_configurations` turns the candidates of the parameters into configurations
(grid, or a seeded random sample of it); :func:`evaluate_configuration` scores one on
every fold; :func:`run_search` evaluates them in parallel (joblib) in the given order and
stops on the exit criteria (time budget, exit score, no improvement after N);
:func:`greedy_ensemble` selects a soft-voting ensemble (Caruana et al., 2004) from the
out-of-fold forecasts.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from mlops_lab.battery.candidates import BASELINE_KINDS, build_forecaster
from mlops_lab.battery.metrics import macro_average, per_battery_metrics
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE
from mlops_lab.battery.splitting import Fold

logger = logging.getLogger(__name__)

PRIMARY = "normalized_rmse"


@dataclass(frozen=True)
class Configuration:
    """One candidate with one set of hyper-parameters."""

    candidate: str
    kind: str
    params: dict[str, Any]
    searched: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.candidate}({json.dumps(self.searched, sort_keys=True)})"


def expand_configurations(
    candidates: list[dict[str, Any]], max_per_candidate: int | None, seed: int
) -> list[Configuration]:
    """Every candidate's grid (``grid``) combined with its fixed parameters (``fixed``).

    A grid larger than ``max_per_candidate`` is sampled at random (seeded), which turns
    the grid search into a random search.
    """
    rng = np.random.default_rng(seed)
    configurations = []
    for candidate in candidates:
        grid = candidate.get("grid") or {}
        keys = list(grid)
        combinations = [
            dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())
        ]
        if max_per_candidate and len(combinations) > max_per_candidate:
            chosen = sorted(rng.choice(len(combinations), size=max_per_candidate, replace=False))
            combinations = [combinations[i] for i in chosen]
        for searched in combinations:
            params = {**(candidate.get("fixed") or {}), **searched}
            configurations.append(
                Configuration(candidate["name"], candidate["kind"], params, searched)
            )
    return configurations


def fold_ranges(series: pd.DataFrame, folds: list[Fold]) -> list[pd.Series]:
    """Target range (max - min) of each battery over each fold's training rows."""
    return [series.loc[fold.train_index].groupby(BATTERY_ID)[CYCLES].agg(np.ptp) for fold in folds]


def evaluate_configuration(
    configuration: Configuration,
    series: pd.DataFrame,
    folds: list[Fold],
    ranges: list[pd.Series],
    deadline: float | None = None,
) -> dict[str, Any]:
    """Fit and forecast every fold; return scores and the out-of-fold forecasts.

    Returns a dict with ``status`` (``ok``, ``failed`` or ``skipped`` when the deadline
    had passed before it started), ``fold_scores`` (primary metric per fold), ``metrics``
    (mean over folds of the macro-averaged metrics), ``fit_time_s`` and ``forecasts``
    (rows of every fold: index label, fold, battery, y_true, y_pred).
    """
    result: dict[str, Any] = {"configuration": configuration, "status": "ok", "error": ""}
    if deadline is not None and time.time() > deadline:
        return {**result, "status": "skipped"}
    started = time.perf_counter()
    fold_metrics, forecasts = [], []
    try:
        for fold, fold_range in zip(folds, ranges, strict=True):
            train, valid = series.loc[fold.train_index], series.loc[fold.valid_index]
            forecaster = build_forecaster(configuration.kind, configuration.params).fit(train)
            predicted = forecaster.predict(valid.drop(columns=CYCLES))
            frame = pd.DataFrame(
                {
                    "row": valid.index,
                    "fold": fold.number,
                    BATTERY_ID: valid[BATTERY_ID].to_numpy(),
                    DATE: valid[DATE].to_numpy(),
                    "y_true": valid[CYCLES].to_numpy(),
                    "y_pred": predicted,
                }
            )
            if not np.isfinite(predicted).all():
                raise ValueError("the forecasts contain missing or infinite values")
            fold_metrics.append(macro_average(per_battery_metrics(frame, fold_range)))
            forecasts.append(frame)
    except Exception as error:  # one failing candidate must not stop the search
        return {**result, "status": "failed", "error": f"{type(error).__name__}: {error}"}
    metrics = {name: float(np.mean([m[name] for m in fold_metrics])) for name in fold_metrics[0]}
    return {
        **result,
        "fold_scores": [m[PRIMARY] for m in fold_metrics],
        "metrics": metrics,
        "fit_time_s": time.perf_counter() - started,
        "forecasts": pd.concat(forecasts, ignore_index=True),
    }


@dataclass
class SearchOutcome:
    """Results in completion order, and why the search stopped."""

    results: list[dict[str, Any]]
    stop_reason: str
    wall_time_s: float


def run_search(
    configurations: list[Configuration],
    series: pd.DataFrame,
    folds: list[Fold],
    time_budget_s: float,
    exit_score: float | None,
    patience: int | None,
    n_jobs: int,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> SearchOutcome:
    """Evaluate configurations in order, ``n_jobs`` at a time, until an exit criterion.

    Exit criteria: the time budget (configurations not started by then are skipped),
    a score at or below ``exit_score`` by a configuration that is not a naive baseline
    (on weekly data a seasonal naive forecast can reach the lab's exit score, and
    stopping there would select a baseline), or ``patience`` finished configurations in a row
    without improving the best score. ``on_result`` is called in this process for every
    finished configuration (e.g. to log an MLflow child run).
    """
    started = time.time()
    deadline = started + time_budget_s
    ranges = fold_ranges(series, folds)
    results: list[dict[str, Any]] = []
    best, since_best = np.inf, 0
    stop_reason = "all candidates evaluated"
    tasks: Iterable[Any] = (
        delayed(evaluate_configuration)(configuration, series, folds, ranges, deadline)
        for configuration in configurations
    )
    parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered", pre_dispatch="n_jobs")
    generator = parallel(tasks)
    for result in generator:
        if result["status"] == "skipped":
            stop_reason = f"time budget of {time_budget_s:g} s reached"
            continue
        results.append(result)
        if on_result is not None:
            on_result(result)
        if result["status"] != "ok":
            logger.warning("%s failed: %s", result["configuration"].label, result["error"])
            continue
        score = result["metrics"][PRIMARY]
        logger.info(
            "[%d/%d] %s: %s %.4f (%.1f s)",
            len(results),
            len(configurations),
            result["configuration"].label,
            PRIMARY,
            score,
            result["fit_time_s"],
        )
        if score < best:
            best, since_best = score, 0
        else:
            since_best += 1
        is_baseline = result["configuration"].kind in BASELINE_KINDS
        if exit_score is not None and score <= exit_score and not is_baseline:
            label = result["configuration"].label
            stop_reason = f"exit score {exit_score:g} reached by {label} ({score:.4f})"
            break
        if patience and since_best >= patience:
            stop_reason = f"no improvement in {patience} candidates"
            break
        if time.time() > deadline:
            stop_reason = f"time budget of {time_budget_s:g} s reached"
            break
    generator.close()  # cancels what has not started
    return SearchOutcome(results, stop_reason, time.time() - started)


def greedy_ensemble(
    forecasts: dict[str, pd.DataFrame], ranges_by_fold: list[pd.Series], size: int
) -> tuple[dict[str, float], float]:
    """Caruana's greedy forward selection with replacement on out-of-fold forecasts.

    Args:
        forecasts: Out-of-fold forecasts of each configuration (same rows, same order).
        ranges_by_fold: Target ranges per battery of each fold (for the metric).
        size: Number of selection rounds (members may be picked several times).

    Returns:
        (weights by configuration label, summing to 1; primary score of the ensemble).
    """
    labels = list(forecasts)
    reference = forecasts[labels[0]]
    predictions = np.column_stack([forecasts[label]["y_pred"].to_numpy() for label in labels])

    def score(prediction: np.ndarray) -> float:
        frame = reference.assign(y_pred=prediction)
        per_fold = [
            macro_average(per_battery_metrics(frame[frame["fold"] == number], fold_range))[PRIMARY]
            for number, fold_range in enumerate(ranges_by_fold)
        ]
        return float(np.mean(per_fold))

    counts = np.zeros(len(labels))
    best_score = np.inf
    for _ in range(size):
        trial_scores = [
            score((predictions @ (counts + np.eye(len(labels))[i])) / (counts.sum() + 1))
            for i in range(len(labels))
        ]
        choice = int(np.argmin(trial_scores))
        if trial_scores[choice] >= best_score and counts.sum() > 0:
            break
        counts[choice] += 1
        best_score = trial_scores[choice]
    weights = {
        label: count / counts.sum()
        for label, count in zip(labels, counts, strict=True)
        if count > 0
    }
    return weights, best_score
