"""Nodes of ``battery_forecasting``: hold-out split, AutoML-style search, ensemble,
hold-out evaluation, final model, plots and explanations."""

from __future__ import annotations

import json
import logging
import numbers
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery import explanations, plots
from mlops_lab.battery import report as battery_report
from mlops_lab.battery.candidates import BASELINE_KINDS, forecaster_from_spec
from mlops_lab.battery.metrics import (
    METRICS,
    best_constant_normalized_rmse,
    macro_average,
    per_battery_metrics,
)
from mlops_lab.battery.model import (
    BatteryCyclesModel,
    error_quantiles,
    future_frame,
)
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, DURATION
from mlops_lab.battery.search import (
    PRIMARY,
    expand_configurations,
    fold_ranges,
    greedy_ensemble,
    run_search,
)
from mlops_lab.battery.splitting import rolling_origin_folds, split_last_days
from mlops_lab.registry import RegisteredModel
from mlops_lab.tracking import metric_key

logger = logging.getLogger(__name__)

PROBLEM = "battery"
MODEL_COLUMNS = [DATE, BATTERY_ID, "Battery_Age_Days", DURATION, CYCLES]
RECORD_COLUMNS = MODEL_COLUMNS[:-1]
"""What a user passes to the registered model: the model columns without the target."""


def check_horizon(horizon: Any) -> int:
    """``battery_forecasting.horizon`` as days, checked: a whole number, at least 1.

    Every node of the pipeline that takes the horizon checks it first, so a bad value
    (``kedro run --params battery_forecasting.horizon=abc``) is named as the parameter it
    is, whichever nodes a run starts from.

    Raises:
        ValueError: naming the parameter, the value given and what is expected.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, numbers.Integral) or horizon < 1:
        raise ValueError(
            f"Parameter 'battery_forecasting.horizon' must be a positive whole number of days "
            f"(1 or more, e.g. 30); got {horizon!r}."
        )
    return int(horizon)


def split_holdout(series: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each battery's last ``horizon`` days; the search never sees them.

    Returns:
        (history, hold-out), with the columns the forecasters use.

    Raises:
        ValueError: ``horizon`` is not a whole number of days, at least 1.
    """
    horizon = check_horizon(horizon)
    history, holdout = split_last_days(series[MODEL_COLUMNS], horizon)
    logger.info("Hold-out: %d history rows, %d held-out rows", len(history), len(holdout))
    return history, holdout


def _spec(configuration: Any) -> str:
    return json.dumps({"kind": configuration.kind, "params": configuration.params}, sort_keys=True)


def _log_child_run(result: dict[str, Any]) -> None:
    """One nested MLflow run per evaluated configuration (inside the pipeline's run)."""
    parent = mlflow.active_run()
    if parent is None:
        return
    configuration = result["configuration"]
    with mlflow.start_run(
        run_name=configuration.label[:250],
        nested=True,
        experiment_id=parent.info.experiment_id,  # the problem's experiment, not the default
    ):
        mlflow.set_tags(
            {
                "candidate": configuration.candidate,
                "kind": configuration.kind,
                "status": result["status"],
            }
        )
        mlflow.log_params({"candidate": configuration.candidate, **configuration.searched})
        if result["status"] == "ok":
            model = configuration.candidate
            mlflow.log_metrics(
                {
                    **{
                        metric_key(PROBLEM, "validation", model, k): v
                        for k, v in result["metrics"].items()
                    },
                    metric_key(PROBLEM, "validation", model, "fit_time_s"): result["fit_time_s"],
                }
            )
            for step, score in enumerate(result["fold_scores"], start=1):
                mlflow.log_metric(
                    metric_key(PROBLEM, "validation", model, f"{PRIMARY}_per_fold"),
                    score,
                    step=step,
                )


def search_forecasters(
    history: pd.DataFrame,
    candidates: list[dict[str, Any]],
    horizon: int,
    validation: dict[str, int],
    search: dict[str, Any],
    seed: int,
) -> dict[str, Any]:
    """Score the candidates by rolling-origin validation until an exit criterion.

    Args:
        history: Daily series without the hold-out.
        candidates: ``name``, ``kind``, ``fixed`` and ``grid`` of each candidate, in the
            order they are tried.
        horizon: Days forecast (and validated) after each fold's origin.
        validation: ``n_folds``, ``step``, ``min_train_days``.
        search: ``time_budget_s``, ``exit_score``, ``patience``, ``n_jobs``,
            ``max_configs_per_candidate``.
        seed: Seed of the random search.

    Returns:
        ``leaderboard`` (one row per evaluated configuration), ``forecasts`` (their
        out-of-fold forecasts) and ``summary`` (what stopped the search, wall time).
    """
    horizon = check_horizon(horizon)
    folds = rolling_origin_folds(history, horizon=horizon, **validation)
    configurations = expand_configurations(
        candidates, search.get("max_configs_per_candidate"), seed
    )
    logger.info(
        "Search: %d configurations, %d folds, budget %s s",
        len(configurations),
        len(folds),
        search["time_budget_s"],
    )
    outcome = run_search(
        configurations,
        history,
        folds,
        time_budget_s=search["time_budget_s"],
        exit_score=search.get("exit_score"),
        patience=search.get("patience"),
        n_jobs=search["n_jobs"],
        on_result=_log_child_run,
    )
    rows, forecasts = [], []
    for result in outcome.results:
        configuration = result["configuration"]
        row = {
            "label": configuration.label,
            "candidate": configuration.candidate,
            "kind": configuration.kind,
            "hyperparameters": json.dumps(configuration.searched, sort_keys=True),
            "spec": _spec(configuration),
            "status": result["status"],
            "error": result["error"],
        }
        if result["status"] == "ok":
            row.update({f"fold_{i}_{PRIMARY}": s for i, s in enumerate(result["fold_scores"])})
            row.update(result["metrics"])
            row["fit_time_s"] = result["fit_time_s"]
            forecasts.append(result["forecasts"].assign(label=configuration.label))
        rows.append(row)
    leaderboard = pd.DataFrame(rows)
    summary = {
        "stop_reason": outcome.stop_reason,
        "wall_time_s": outcome.wall_time_s,
        "configurations_planned": len(configurations),
        "configurations_evaluated": len(outcome.results),
        "configurations_failed": int((leaderboard["status"] != "ok").sum()) if rows else 0,
    }
    logger.info("Search stopped: %s after %.1f s", outcome.stop_reason, outcome.wall_time_s)
    if not forecasts:
        raise RuntimeError(f"No candidate finished ({outcome.stop_reason}); raise the time budget.")
    return {
        "leaderboard": leaderboard,
        "forecasts": pd.concat(forecasts, ignore_index=True),
        "summary": summary,
    }


def _ensemble_row(
    weights: dict[str, float],
    top: pd.DataFrame,
    by_label: dict[str, pd.DataFrame],
    ranges: list[pd.Series],
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Leaderboard row and out-of-fold forecasts of a weighted ensemble."""
    specs = top.set_index("label")
    members = [
        {**json.loads(specs.loc[label, "spec"]), "weight": float(w)} for label, w in weights.items()
    ]
    combined = sum(w * by_label[label]["y_pred"] for label, w in weights.items())
    forecasts = by_label[next(iter(weights))].assign(y_pred=combined, label="ensemble")
    folds = [
        macro_average(per_battery_metrics(forecasts[forecasts["fold"] == number], fold_range))
        for number, fold_range in enumerate(ranges)
    ]
    row = {
        "label": "ensemble",
        "candidate": "ensemble",
        "kind": "ensemble",
        "hyperparameters": json.dumps(
            {label: float(w) for label, w in weights.items()}, sort_keys=True
        ),
        "spec": json.dumps({"kind": "ensemble", "members": members}, sort_keys=True),
        "status": "ok",
        "error": "",
        **{f"fold_{i}_{PRIMARY}": m[PRIMARY] for i, m in enumerate(folds)},
        **{name: float(np.mean([m[name] for m in folds])) for name in METRICS},
        "fit_time_s": float(specs.loc[list(weights), "fit_time_s"].sum()),
    }
    return row, forecasts


def add_ensemble(
    leaderboard: pd.DataFrame,
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    horizon: int,
    validation: dict[str, int],
    ensemble: dict[str, int],
) -> dict[str, Any]:
    """Score a greedy (Caruana) soft-voting ensemble of the best configurations; rank all.

    The ensemble is added when the greedy selection keeps at least two configurations.
    Its validation score is slightly optimistic: its weights were chosen on the same
    folds (the hold-out evaluation is not).

    Returns:
        ``leaderboard`` (ranked, ensemble included; also as ``leaderboard_report`` for the
        MLflow run), ``best_forecasts`` (out-of-fold forecasts of the winner) and
        ``best_metrics`` (for MLflow).
    """
    horizon = check_horizon(horizon)
    ranges = fold_ranges(history, rolling_origin_folds(history, horizon=horizon, **validation))
    top = leaderboard[leaderboard["status"] == "ok"].sort_values(PRIMARY).head(ensemble["top_k"])
    by_label = {
        label: group.sort_values("row").reset_index(drop=True)
        for label, group in forecasts.groupby("label")
    }
    board = leaderboard.copy()
    weights: dict[str, float] = {}
    if len(top) >= 2:
        weights, _ = greedy_ensemble(
            {label: by_label[label] for label in top["label"]}, ranges, ensemble["rounds"]
        )
    if len(weights) >= 2:
        row, by_label["ensemble"] = _ensemble_row(weights, top, by_label, ranges)
        board = pd.concat([board, pd.DataFrame([row])], ignore_index=True)
        logger.info("Greedy ensemble %s: %s %.4f", row["hyperparameters"], PRIMARY, row[PRIMARY])
    else:
        logger.info(
            "Greedy ensemble selection kept %d configuration(s): no ensemble added", len(weights)
        )
    board = board.sort_values([PRIMARY, "fit_time_s"], na_position="last").reset_index(drop=True)
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    best = board.iloc[0]
    logger.info("Best: %s (%s %.4f)", best["label"], PRIMARY, best[PRIMARY])
    metrics = {
        metric_key(PROBLEM, "validation", "selected", name): {"value": float(best[name]), "step": 0}
        for name in METRICS
    }
    return {
        "leaderboard": board,
        "leaderboard_report": board,
        "best_forecasts": by_label[best["label"]],
        "best_metrics": metrics,
    }


def _best_baseline(leaderboard: pd.DataFrame) -> pd.Series:
    baselines = leaderboard[
        leaderboard["kind"].isin(BASELINE_KINDS) & (leaderboard["status"] == "ok")
    ]
    if baselines.empty:
        raise ValueError(
            "The leaderboard has no naive baseline; keep at least one baseline candidate."
        )
    return baselines.sort_values(PRIMARY).iloc[0]


def evaluate_on_holdout(
    leaderboard: pd.DataFrame,
    history: pd.DataFrame,
    holdout: pd.DataFrame,
    real_batteries: list[int],
) -> dict[str, Any]:
    """Refit the selected model and the best naive baseline on the history; score both on
    the held-out days, per battery, with the best constant in hindsight as the floor.

    Args:
        leaderboard: Ranked configurations (the first is selected).
        history: The days before the hold-out.
        holdout: Each battery's held-out days.
        real_batteries: Batteries whose series is real (the lab's file); the others are
            the simulated fleet. Each group gets its own figures.

    Returns:
        ``report`` (per battery), ``forecasts`` (hold-out forecasts) and ``metrics``
        (selected vs baseline, the real batteries vs their floor; for MLflow).
    """
    selected, baseline = leaderboard.iloc[0], _best_baseline(leaderboard)
    future = holdout.drop(columns=CYCLES)
    ranges = history.groupby(BATTERY_ID)[CYCLES].agg(np.ptp)
    predictions = {}
    for name, row in (("selected", selected), ("baseline", baseline)):
        predictions[name] = (
            forecaster_from_spec(json.loads(row["spec"])).fit(history).predict(future)
        )
    forecasts = holdout[[DATE, BATTERY_ID]].assign(
        y_true=holdout[CYCLES], y_pred=predictions["selected"], y_baseline=predictions["baseline"]
    )
    selected_scores = per_battery_metrics(forecasts, ranges)
    baseline_scores = per_battery_metrics(forecasts.assign(y_pred=forecasts["y_baseline"]), ranges)
    floor = forecasts.groupby(BATTERY_ID)["y_true"].apply(
        lambda y: best_constant_normalized_rmse(y, ranges.loc[y.name])
    )
    report = pd.DataFrame(
        {
            "selected_model": selected["label"],
            "nrmse_selected": selected_scores[PRIMARY],
            "baseline_model": baseline["label"],
            "nrmse_baseline": baseline_scores[PRIMARY],
            "ratio_to_baseline": selected_scores[PRIMARY] / baseline_scores[PRIMARY],
            "nrmse_best_constant": floor,
            "ratio_to_best_constant": selected_scores[PRIMARY] / floor,
        }
    ).reset_index()
    report.insert(1, "series", np.where(report[BATTERY_ID].isin(real_batteries), "real", "fleet"))
    fleet, real = report[report["series"] == "fleet"], report[report["series"] == "real"]

    def key(model: str, name: str) -> str:
        return metric_key(PROBLEM, "heldout", model, name)

    values = {
        key("selected", PRIMARY): float(report["nrmse_selected"].mean()),
        key("baseline", PRIMARY): float(report["nrmse_baseline"].mean()),
    }
    if len(fleet):
        values[key("selected", "fleet_ratio_to_baseline")] = float(
            fleet["nrmse_selected"].mean() / fleet["nrmse_baseline"].mean()
        )
    if len(real):
        values |= {
            key("selected", f"real_{PRIMARY}"): float(real["nrmse_selected"].mean()),
            key("best_constant", f"real_{PRIMARY}"): float(real["nrmse_best_constant"].mean()),
            key("selected", "real_ratio_to_best_constant"): float(
                real["nrmse_selected"].mean() / real["nrmse_best_constant"].mean()
            ),
        }
    logger.info("Hold-out: %s", values)
    return {
        "report": report,
        "forecasts": forecasts,
        "metrics": {k: {"value": v, "step": 0} for k, v in values.items() if np.isfinite(v)},
    }


def train_final_model(
    leaderboard: pd.DataFrame, best_forecasts: pd.DataFrame, series: pd.DataFrame, example_rows: int
) -> BatteryCyclesModel:
    """Refit the selected model on all days (hold-out included): the challenger to register.

    Prediction intervals come from the out-of-fold errors of the selected model; the
    input example is the first ``example_rows`` days after the history of two batteries.
    The model keeps its spec, so the promotion gate can refit it on the history alone.
    """
    best = leaderboard.iloc[0]
    data = series[MODEL_COLUMNS]
    spec = json.loads(best["spec"])
    forecaster = forecaster_from_spec(spec).fit(data)
    batteries = sorted(data[BATTERY_ID].unique())[:2]
    recent = data[data[BATTERY_ID].isin(batteries)]
    last_duration = recent.groupby(BATTERY_ID)[DURATION].last()
    example = future_frame(recent, example_rows)
    example[DURATION] = example[BATTERY_ID].map(last_duration)
    description = f"{best['label']} ({PRIMARY} {best[PRIMARY]:.4f} in rolling-origin validation)"
    logger.info("Final model: %s, refitted on %d rows", description, len(data))
    return BatteryCyclesModel(
        forecaster, error_quantiles(best_forecasts), example, description, spec=spec
    )


def _heldout_scores(
    model: RegisteredModel, history: pd.DataFrame, holdout: pd.DataFrame
) -> dict[str, float]:
    """Held-out metrics of a registered model's configuration refitted on ``history``.

    The refitted model is called the way users call it: ``predict`` on raw records (the
    held-out days with their known covariates, without the target).
    """
    refitted = model.python_model.refit(history)
    output = refitted.predict(None, holdout[RECORD_COLUMNS].reset_index(drop=True))
    forecasts = pd.DataFrame(
        {
            BATTERY_ID: holdout[BATTERY_ID].to_numpy(),
            "y_true": holdout[CYCLES].to_numpy(),
            "y_pred": output["forecast"].to_numpy(),
        }
    )
    ranges = history.groupby(BATTERY_ID)[CYCLES].agg(np.ptp)
    scores = macro_average(per_battery_metrics(forecasts, ranges))
    y_true = forecasts["y_true"].to_numpy()
    for level in (80, 95):
        inside = (output[f"lower_{level}"].to_numpy() <= y_true) & (
            y_true <= output[f"upper_{level}"].to_numpy()
        )
        scores[f"interval_{level}_coverage"] = float(inside.mean())
    return scores


def score_promotion_candidates(
    challenger: RegisteredModel,
    incumbent: RegisteredModel | None,
    history: pd.DataFrame,
    holdout: pd.DataFrame,
) -> dict[str, Any]:
    """Score the new ``@challenger`` and the ``@champion`` on the same held-out days.

    Both registered models were refitted on all days they were given, the held-out ones
    included, so neither can be scored on them as registered. Each model's configuration
    (and error quantiles) is refitted on the same history, the days before the hold-out,
    and forecasts the held-out days through the model's ``predict``; the search that
    chose either configuration never saw those days. The primary metric is the normalized
    RMSE macro-averaged over batteries (lower is better).

    Returns:
        ``challenger`` and ``champion`` (None without a champion, or when the champion is
        the challenger) scores, a description of the ``data``, and the challenger's
        held-out metrics (``challenger_metrics``) for its version tags.
    """
    challenger_scores = _heldout_scores(challenger, history, holdout)
    champion_score = None
    if incumbent is not None and incumbent.version != challenger.version:
        champion_score = _heldout_scores(incumbent, history, holdout)[PRIMARY]
    days = holdout.groupby(BATTERY_ID).size()
    data = (
        f"last {int(days.max())} days of {len(days)} batteries ({len(holdout)} battery-days, "
        f"{holdout[DATE].min().date()} to {holdout[DATE].max().date()}) of "
        f"daily_battery_time_series; both models refitted on the {len(history)} battery-days "
        "before them"
    )
    logger.info(
        "Promotion scores on %s: challenger v%s %.4f, champion %s",
        data,
        challenger.version,
        challenger_scores[PRIMARY],
        "none" if champion_score is None else f"v{incumbent.version} {champion_score:.4f}",
    )
    return {
        "challenger": challenger_scores[PRIMARY],
        "champion": champion_score,
        "data": data,
        "challenger_metrics": {
            metric_key(PROBLEM, "heldout", name): value for name, value in challenger_scores.items()
        },
    }


def plot_validation_forecasts(best_forecasts: pd.DataFrame, columns: int) -> Figure:
    """Predicted vs true on the last validation fold, one panel per battery."""
    return plots.validation_forecasts_figure(best_forecasts, columns)


def plot_residuals(best_forecasts: pd.DataFrame) -> Figure:
    """Residuals of the selected model: against the forecast, and their distribution."""
    return plots.residuals_figure(best_forecasts)


def explain_model(challenger: RegisteredModel, horizon: int, n_local: int) -> dict[str, Any]:
    """SHAP explanations of the registered challenger's next ``horizon`` days.

    See :mod:`mlops_lab.battery.explanations`. A statistical model has no features: the
    tables and figures say so (and the run's log).

    Returns:
        ``shap_values`` (one row per explained forecast), ``global`` (mean |SHAP| per
        feature) and SHAP's ``bar_plot``, ``beeswarm_plot`` and ``waterfall_plot`` (the
        first forecast day of the first battery).
    """
    horizon = check_horizon(horizon)
    table = explanations.shap_table(challenger.python_model, horizon)
    drawn = explanations.figures(table, n_local)
    return {
        "shap_values": table,
        "global": explanations.global_importance(table),
        "bar_plot": drawn["bar"],
        "beeswarm_plot": drawn["beeswarm"],
        "waterfall_plot": drawn["waterfall"],
    }


def build_battery_report(
    holdout: pd.DataFrame,
    holdout_forecasts: pd.DataFrame,
    history: pd.DataFrame,
    promotion: dict[str, Any],
    shap_values: pd.DataFrame,
    real_batteries: list[int],
    report: dict[str, Any],
    n_local: int,
) -> tuple[str, str]:
    """The self-contained HTML report, twice: the versioned file and the run's copy.

    Args:
        report: ``intended_use`` and ``limitations`` (texts of the model card) and
            ``bootstrap`` (``resamples``, ``block_days``, ``seed``) of the intervals.
    """
    settings = report["bootstrap"]
    intervals = battery_report.holdout_intervals(
        holdout_forecasts,
        history,
        real_batteries,
        int(settings["resamples"]),
        int(settings["block_days"]),
        int(settings["seed"]),
    )
    logger.info("Held-out nRMSE with 95 %% intervals:\n%s", intervals.to_string(index=False))
    card = {**report, "real_batteries": real_batteries}
    html = battery_report.battery_report(
        holdout, intervals, history, promotion, shap_values, card, n_local
    )
    return html, html
