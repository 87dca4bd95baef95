"""Nodes of ``battery_forecasting``: hold-out split, AutoML-style search, ensemble,
hold-out evaluation, final model, plots and explanations."""

from __future__ import annotations

import json
import logging
from typing import Any

import matplotlib.pyplot as plt
import mlflow
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery.candidates import BASELINE_KINDS, Regression, forecaster_from_spec
from mlops_lab.battery.features import make_features
from mlops_lab.battery.metrics import (
    METRICS,
    best_constant_normalized_rmse,
    macro_average,
    per_battery_metrics,
)
from mlops_lab.battery.model import BatteryCyclesModel, error_quantiles, future_frame
from mlops_lab.battery.plots import battery_panels, finish_panels
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, DURATION
from mlops_lab.battery.search import (
    PRIMARY,
    expand_configurations,
    fold_ranges,
    greedy_ensemble,
    run_search,
)
from mlops_lab.battery.splitting import rolling_origin_folds, split_last_days

logger = logging.getLogger(__name__)

MODEL_COLUMNS = [DATE, BATTERY_ID, "Battery_Age_Days", DURATION, CYCLES]


def split_holdout(series: pd.DataFrame, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out each battery's last ``horizon`` days; the search never sees them.

    Returns:
        (history, hold-out), with the columns the forecasters use.
    """
    history, holdout = split_last_days(series[MODEL_COLUMNS], horizon)
    logger.info("Hold-out: %d history rows, %d held-out rows", len(history), len(holdout))
    return history, holdout


def _spec(configuration: Any) -> str:
    return json.dumps({"kind": configuration.kind, "params": configuration.params}, sort_keys=True)


def _log_child_run(result: dict[str, Any]) -> None:
    """One nested MLflow run per evaluated configuration (inside the pipeline's run)."""
    if mlflow.active_run() is None:
        return
    configuration = result["configuration"]
    with mlflow.start_run(run_name=configuration.label[:250], nested=True):
        mlflow.set_tags(
            {
                "candidate": configuration.candidate,
                "kind": configuration.kind,
                "status": result["status"],
            }
        )
        mlflow.log_params({"candidate": configuration.candidate, **configuration.searched})
        if result["status"] == "ok":
            mlflow.log_metrics({**result["metrics"], "fit_time_s": result["fit_time_s"]})
            for number, score in enumerate(result["fold_scores"]):
                mlflow.log_metric(f"fold_{PRIMARY}", score, step=number)


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
    metrics = {f"best_{name}": {"value": float(best[name]), "step": 0} for name in METRICS}
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
    leaderboard: pd.DataFrame, history: pd.DataFrame, holdout: pd.DataFrame
) -> dict[str, Any]:
    """Refit the selected model and the best naive baseline on the history; score both on
    the held-out days, per battery, with the best constant in hindsight as the floor.

    Returns:
        ``report`` (per battery), ``forecasts`` (hold-out forecasts) and ``metrics``
        (selected vs baseline, battery 0 vs its floor; for MLflow).
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
    fleet = report[report[BATTERY_ID] != 0]
    real = report[report[BATTERY_ID] == 0]
    values = {
        "holdout_nrmse_selected": float(report["nrmse_selected"].mean()),
        "holdout_nrmse_baseline": float(report["nrmse_baseline"].mean()),
        "holdout_fleet_ratio_to_baseline": float(
            fleet["nrmse_selected"].mean() / fleet["nrmse_baseline"].mean()
        )
        if len(fleet)
        else float("nan"),
    }
    if len(real):
        values |= {
            "holdout_battery0_nrmse": float(real["nrmse_selected"].iloc[0]),
            "holdout_battery0_floor": float(real["nrmse_best_constant"].iloc[0]),
            "holdout_battery0_ratio_to_floor": float(real["ratio_to_best_constant"].iloc[0]),
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
    """Refit the selected model on all history (hold-out included) for registration.

    Prediction intervals come from the out-of-fold errors of the selected model; the
    input example is the first ``example_rows`` days after the history of two batteries.
    """
    best = leaderboard.iloc[0]
    data = series[MODEL_COLUMNS]
    forecaster = forecaster_from_spec(json.loads(best["spec"])).fit(data)
    batteries = sorted(data[BATTERY_ID].unique())[:2]
    recent = data[data[BATTERY_ID].isin(batteries)]
    last_duration = recent.groupby(BATTERY_ID)[DURATION].last()
    example = future_frame(recent, example_rows)
    example[DURATION] = example[BATTERY_ID].map(last_duration)
    description = f"{best['label']} ({PRIMARY} {best[PRIMARY]:.4f} in rolling-origin validation)"
    logger.info("Final model: %s, refitted on %d rows", description, len(data))
    return BatteryCyclesModel(forecaster, error_quantiles(best_forecasts), example, description)


def plot_validation_forecasts(best_forecasts: pd.DataFrame, columns: int) -> Figure:
    """Predicted vs true on the last validation fold, one panel per battery."""
    last = best_forecasts[best_forecasts["fold"] == best_forecasts["fold"].max()]
    figure, panels = battery_panels(last[BATTERY_ID].unique(), columns)
    for battery_id, ax in panels:
        group = last[last[BATTERY_ID] == battery_id].sort_values(DATE)
        ax.plot(group[DATE], group["y_true"], label="true", color="black", lw=1)
        ax.plot(group[DATE], group["y_pred"], label="forecast", color="tab:orange", lw=1)
    return finish_panels(figure, f"{CYCLES}: last validation fold, selected model")


def plot_residuals(best_forecasts: pd.DataFrame) -> Figure:
    """Residuals of the selected model: against the forecast, and their distribution."""
    residual = best_forecasts["y_true"] - best_forecasts["y_pred"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.scatter(best_forecasts["y_pred"], residual, s=3, alpha=0.4)
    left.axhline(0, color="black", lw=0.8)
    left.set(xlabel="forecast", ylabel="true - forecast", title="residuals vs forecast (all folds)")
    right.hist(residual, bins=60)
    right.set(xlabel="true - forecast", title="residual distribution")
    figure.tight_layout()
    return figure


def _explained_regression(model: BatteryCyclesModel) -> Regression | None:
    forecaster = model.forecaster
    if isinstance(forecaster, Regression):
        return forecaster
    members = getattr(forecaster, "members", [])
    weights = getattr(forecaster, "weights", [])
    regressions = [
        (w, m) for w, m in zip(weights, members, strict=False) if isinstance(m, Regression)
    ]
    return max(regressions, key=lambda pair: pair[0])[1] if regressions else None


def explain_model(
    model: BatteryCyclesModel, horizon: int, n_local: int, seed: int
) -> dict[str, Any]:
    """Global and local explanations of the registered model's next ``horizon`` days.

    SHAP values for linear and tree regressors (permutation importance otherwise) of the
    model's regression part (its largest regression member if it is an ensemble), on the
    first block of days it forecasts directly; the future trip duration is taken as each
    battery's recent mean. Statistical models have no features: the tables say so.
    """
    regression = _explained_regression(model)
    if regression is None:
        note = pd.DataFrame({"note": [f"{model.description}: no feature-based model to explain"]})
        return {"global": note, "local": note, "global_plot": Figure(), "local_plot": Figure()}
    tail = regression.history_tail
    future = future_frame(tail, horizon)
    if DURATION in tail:
        future[DURATION] = future[BATTERY_ID].map(tail.groupby(BATTERY_ID)[DURATION].mean())
    frame, steps = regression.design(future)
    features = make_features(frame, regression.spec).loc["future"]
    x = features.loc[steps.index[steps <= regression.spec.min_lag]]
    method, values = _shap_values(
        regression.model_[-1], regression.model_[:-1].transform(x.to_numpy())
    )
    if values is None:
        from sklearn.inspection import permutation_importance

        y_hat = regression.model_.predict(x.to_numpy())
        result = permutation_importance(
            regression.model_, x.to_numpy(), y_hat, n_repeats=5, random_state=seed
        )
        importance = pd.Series(result.importances_mean, index=x.columns)
        local = pd.DataFrame(columns=["row", BATTERY_ID, DATE, "feature", "value", "contribution"])
    else:
        importance = pd.Series(np.abs(values).mean(axis=0), index=x.columns)
        picks = np.random.default_rng(seed).choice(len(x), size=min(n_local, len(x)), replace=False)
        local = pd.DataFrame(
            [
                {
                    "row": int(i),
                    BATTERY_ID: int(future.loc[x.index[i], BATTERY_ID]),
                    DATE: str(future.loc[x.index[i], DATE].date()),
                    "feature": name,
                    "value": float(x.iloc[i][name]),
                    "contribution": float(values[i, j]),
                }
                for i in sorted(picks)
                for j, name in enumerate(x.columns)
            ]
        )
    global_table = (
        importance.sort_values(ascending=False)
        .rename("importance")
        .rename_axis("feature")
        .reset_index()
    )
    global_table["method"] = method
    return {
        "global": global_table,
        "local": local,
        "global_plot": _importance_figure(
            global_table, f"Global importance ({method}) - {model.description}"
        ),
        "local_plot": _local_figure(local),
    }


def _shap_values(estimator: Any, x: np.ndarray) -> tuple[str, np.ndarray | None]:
    import shap

    try:
        if hasattr(estimator, "coef_"):
            return "shap-linear", shap.LinearExplainer(estimator, x).shap_values(x)
        if hasattr(estimator, "tree_") or hasattr(estimator, "estimators_"):
            return "shap-tree", shap.TreeExplainer(estimator).shap_values(x, check_additivity=False)
    except Exception as error:  # fall back to permutation importance
        logger.warning("SHAP failed (%s); using permutation importance", error)
    return "permutation", None


def _importance_figure(table: pd.DataFrame, title: str) -> Figure:
    top = table.head(15).iloc[::-1]
    figure, ax = plt.subplots(figsize=(7, 4.5))
    ax.barh(top["feature"], top["importance"])
    ax.set_title(title, fontsize=9)
    figure.tight_layout()
    return figure


def _local_figure(local: pd.DataFrame) -> Figure:
    rows = sorted(local["row"].unique()) if len(local) else []
    figure, axes = plt.subplots(
        1, max(len(rows), 1), figsize=(3.6 * max(len(rows), 1), 4), squeeze=False
    )
    for ax, row in zip(axes.flat, rows, strict=False):
        part = (
            local[local["row"] == row]
            .reindex(local[local["row"] == row]["contribution"].abs().sort_values().index)
            .tail(8)
        )
        ax.barh(
            part["feature"],
            part["contribution"],
            color=np.where(part["contribution"] > 0, "tab:red", "tab:blue"),
        )
        ax.set_title(f"battery {part[BATTERY_ID].iloc[0]}, {part[DATE].iloc[0]}", fontsize=8)
        ax.tick_params(labelsize=7)
    figure.suptitle("Local explanations: SHAP contributions to single forecasts")
    figure.tight_layout()
    return figure
