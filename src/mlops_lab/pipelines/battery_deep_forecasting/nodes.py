"""Nodes of ``battery_deep_forecasting``: LSTM training on the search's history, hold-out
evaluation on the search's held-out days, promotion, and the combined leaderboard."""

from __future__ import annotations

import json
import logging
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery import lstm_explanations, plots
from mlops_lab.battery import report as battery_report
from mlops_lab.battery.candidates import BASELINE_KINDS, forecaster_from_spec
from mlops_lab.battery.lstm import BatteryLstmModel, build_network, fit_network, window_dataset
from mlops_lab.battery.lstm_inference import INPUT_COLUMNS
from mlops_lab.battery.metrics import (
    METRICS,
    best_constant_normalized_rmse,
    macro_average,
    per_battery_metrics,
)
from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE
from mlops_lab.battery.windows import Scaler, day_features, sliding_windows, training_cutoff
from mlops_lab.registry import RegisteredModel
from mlops_lab.seeding import set_global_seed
from mlops_lab.tracking import metric_history, metric_key

logger = logging.getLogger(__name__)

PROBLEM = "battery"
MODEL = "lstm"
PRIMARY = METRICS[0]


def train_battery_lstm(
    history: pd.DataFrame,
    horizon: int,
    windows: dict[str, int],
    network: dict[str, Any],
    training: dict[str, Any],
    seed: int,
) -> tuple[BatteryLstmModel, dict[str, Any]]:
    """Train the LSTM on sliding windows of every battery's history (hold-out excluded).

    Each battery's last ``windows.validation_days`` days of the history are the
    validation targets of early stopping; training windows end their targets before
    them, and the standardisation is fitted on the training days only.

    Args:
        history: ``battery_forecast_history`` (the days before the hold-out).
        horizon: Days forecast from each window.
        windows: ``length`` (input days), ``stride`` (days between training windows),
            ``validation_days``.
        network: ``units`` (LSTM layer sizes), ``dense_units``.
        training: ``learning_rate``, ``batch_size``, ``max_epochs``, ``early_stopping``
            (``patience``, ``min_delta``), ``verbose``.
        seed: Seeds weights and shuffling.

    Returns:
        The pyfunc to register (network + scaler) and the training record (per-epoch
        losses, best epoch, window counts, seconds).
    """
    set_global_seed(seed)
    length = int(windows["length"])
    cutoff = training_cutoff(history, int(windows["validation_days"]))
    train_rows = history[history[DATE] <= history[BATTERY_ID].map(cutoff)]
    scaler = Scaler.fit(day_features(train_rows))
    train = sliding_windows(train_rows, length, horizon, stride=int(windows.get("stride", 1)))
    validation = sliding_windows(history, length, horizon, first_target_after=cutoff)
    if not len(train) or not len(validation):
        raise ValueError(
            f"battery LSTM: {len(train)} training and {len(validation)} validation windows; "
            f"each battery needs at least {length} + {horizon} days before its last "
            f"{windows['validation_days']} history days. Shorten windows.length or "
            "windows.validation_days."
        )
    batch_size = int(training["batch_size"])
    net = build_network(
        length, horizon, network["units"], network.get("dense_units", 0), training["learning_rate"]
    )
    stopping = training["early_stopping"]
    logger.info(
        "LSTM %s on %d training windows (validation %d) of %d days, batch %d, at most %d epochs",
        network["units"],
        len(train),
        len(validation),
        length,
        batch_size,
        training["max_epochs"],
    )
    record = fit_network(
        net,
        window_dataset(train, scaler, batch_size, shuffle_seed=seed),
        window_dataset(validation, scaler, batch_size, shuffle_seed=None),
        max_epochs=int(training["max_epochs"]),
        patience=int(stopping["patience"]),
        min_delta=float(stopping["min_delta"]),
        verbose=int(training.get("verbose", 0)),
    )
    record |= {"train_windows": len(train), "validation_windows": len(validation)}
    logger.info(
        "LSTM trained %d epochs in %.1f s; weights of epoch %d restored (val_loss %.4g)",
        record["epochs_run"],
        record["train_seconds"],
        record["best_epoch"],
        record["val_loss"][record["best_epoch"] - 1],
    )
    first = sorted(history[BATTERY_ID].unique())[0]
    example = history[history[BATTERY_ID] == first].tail(length)[INPUT_COLUMNS]
    description = f"LSTM {list(network['units'])} on {length}-day windows, {horizon}-day forecast"
    model = BatteryLstmModel(
        net, scaler, length, horizon, example.reset_index(drop=True), description
    )
    return model, record


def summarise_lstm_training(
    record: dict[str, Any],
) -> tuple[Figure, dict[str, list[dict[str, float | int]]]]:
    """Loss curves and per-epoch MLflow histories (``battery.epoch.lstm.loss``, from 1)."""
    figure = plots.training_loss_figure(
        record["loss"], record["val_loss"], f"Battery LSTM (best epoch {record['best_epoch']})"
    )
    metrics = {
        metric_key(PROBLEM, "epoch", MODEL, "loss"): metric_history(record["loss"]),
        metric_key(PROBLEM, "validation", MODEL, "loss"): metric_history(record["val_loss"]),
        metric_key(PROBLEM, "epoch", MODEL, "train_seconds"): metric_history(
            [record["train_seconds"]]
        ),
    }
    return figure, metrics


def heldout_forecasts(
    model: RegisteredModel, history: pd.DataFrame, holdout: pd.DataFrame
) -> pd.DataFrame:
    """The model's forecast of every held-out day, from raw history rows via ``predict``.

    Returns:
        ``Date``, ``Battery_ID``, ``y_true``, ``y_pred`` for each held-out battery-day.
    """
    output = model.predict(history[INPUT_COLUMNS].reset_index(drop=True))
    merged = holdout[[DATE, BATTERY_ID, CYCLES]].merge(
        output, on=[DATE, BATTERY_ID], how="left", validate="one_to_one"
    )
    missing = merged["forecast"].isna()
    if missing.any():
        row = merged[missing].iloc[0]
        raise ValueError(
            f"{model.name} v{model.version} forecasts {model.python_model.horizon} days; the "
            f"held-out day {row[DATE].date()} of battery {row[BATTERY_ID]} is beyond it."
        )
    return merged.rename(columns={CYCLES: "y_true", "forecast": "y_pred"})


def _scores(forecasts: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    ranges = history.groupby(BATTERY_ID)[CYCLES].agg(np.ptp)
    return per_battery_metrics(forecasts, ranges)


def evaluate_battery_lstm(
    challenger: RegisteredModel, history: pd.DataFrame, holdout: pd.DataFrame
) -> dict[str, Any]:
    """Per-battery and macro metrics of the registered LSTM on the search's held-out days.

    Returns:
        ``report`` (per battery: the metrics and the best constant in hindsight),
        ``forecasts`` and ``metrics`` (``battery.heldout.lstm.*``, for MLflow).
    """
    forecasts = heldout_forecasts(challenger, history, holdout)
    per_battery = _scores(forecasts, history)
    ranges = history.groupby(BATTERY_ID)[CYCLES].agg(np.ptp)
    floor = forecasts.groupby(BATTERY_ID)["y_true"].apply(
        lambda y: best_constant_normalized_rmse(y, ranges.loc[y.name])
    )
    report = per_battery.assign(nrmse_best_constant=floor).reset_index()
    values = macro_average(per_battery)
    logger.info("LSTM on the held-out days: %s", values)
    return {
        "report": report,
        "forecasts": forecasts,
        "metrics": {
            metric_key(PROBLEM, "heldout", MODEL, name): {"value": value, "step": 0}
            for name, value in values.items()
            if np.isfinite(value)
        },
    }


def score_promotion_candidates(
    challenger: RegisteredModel,
    incumbent: RegisteredModel | None,
    history: pd.DataFrame,
    holdout: pd.DataFrame,
) -> dict[str, Any]:
    """Score ``@challenger`` and ``@champion`` on the same held-out days, via ``predict``.

    Both LSTMs were trained on the history only, so both forecast the held-out days from
    the same raw history rows. Primary metric: normalised RMSE, macro over batteries.
    """
    challenger_scores = macro_average(
        _scores(heldout_forecasts(challenger, history, holdout), history)
    )
    champion_score = None
    if incumbent is not None and incumbent.version != challenger.version:
        champion_score = macro_average(
            _scores(heldout_forecasts(incumbent, history, holdout), history)
        )[PRIMARY]
    days = holdout.groupby(BATTERY_ID).size()
    data = (
        f"last {int(days.max())} days of {len(days)} batteries ({len(holdout)} battery-days, "
        f"{holdout[DATE].min().date()} to {holdout[DATE].max().date()}) of "
        "daily_battery_time_series, forecast from the days before them"
    )
    logger.info(
        "LSTM promotion scores: challenger v%s %.4f, champion %s",
        challenger.version,
        challenger_scores[PRIMARY],
        "none" if champion_score is None else f"v{incumbent.version} {champion_score:.4f}",
    )
    return {
        "challenger": challenger_scores[PRIMARY],
        "champion": champion_score,
        "data": data,
        "challenger_metrics": {
            metric_key(PROBLEM, "heldout", MODEL, name): value
            for name, value in challenger_scores.items()
            if np.isfinite(value)
        },
    }


def _refit_and_score(spec: dict[str, Any], history: pd.DataFrame, holdout: pd.DataFrame) -> float:
    predictions = forecaster_from_spec(spec).fit(history).predict(holdout.drop(columns=CYCLES))
    forecasts = holdout[[DATE, BATTERY_ID]].assign(y_true=holdout[CYCLES], y_pred=predictions)
    return macro_average(_scores(forecasts, history))[PRIMARY]


def combine_leaderboards(
    leaderboard: pd.DataFrame,
    lstm_report: pd.DataFrame,
    lstm_record: dict[str, Any],
    history: pd.DataFrame,
    holdout: pd.DataFrame,
    top_k: int | None,
) -> tuple[pd.DataFrame, Figure]:
    """The AutoML candidates, the naive baselines and the LSTM on the same held-out days.

    Each of the search's best ``top_k`` configurations (all when None) and its best naive
    baseline are refitted on the history and scored on the held-out days exactly as the
    search's hold-out evaluation does; the LSTM's figure is its registered version's. The
    best constant in hindsight is the floor no forecast ignoring the noise can beat.

    Returns:
        The combined leaderboard, ranked by held-out normalised RMSE (macro over
        batteries; ``validation_nrmse`` is the search's rolling-origin score), and a bar
        chart of it.
    """
    ok = leaderboard[leaderboard["status"] == "ok"].sort_values(PRIMARY)
    chosen = ok if top_k is None else ok.head(int(top_k))
    baselines = ok[ok["kind"].isin(BASELINE_KINDS)].head(1)
    chosen = pd.concat([chosen, baselines]).drop_duplicates("label")
    rows = [
        {
            "model": row["label"],
            "family": "baseline" if row["kind"] in BASELINE_KINDS else "automl",
            "kind": row["kind"],
            "heldout_nrmse": _refit_and_score(json.loads(row["spec"]), history, holdout),
            "validation_nrmse": float(row[PRIMARY]),
            "fit_seconds": float(row["fit_time_s"]),
        }
        for _, row in chosen.iterrows()
    ]
    rows.append(
        {
            "model": "lstm",
            "family": "deep learning",
            "kind": "lstm",
            "heldout_nrmse": float(lstm_report[PRIMARY].mean()),
            "validation_nrmse": float("nan"),
            "fit_seconds": float(lstm_record["train_seconds"]),
        }
    )
    rows.append(
        {
            "model": "best constant in hindsight",
            "family": "floor",
            "kind": "oracle",
            "heldout_nrmse": float(lstm_report["nrmse_best_constant"].mean()),
            "validation_nrmse": float("nan"),
            "fit_seconds": float("nan"),
        }
    )
    board = pd.DataFrame(rows).sort_values("heldout_nrmse").reset_index(drop=True)
    board.insert(0, "rank", np.arange(1, len(board) + 1))
    logger.info("Combined leaderboard:\n%s", board.to_string(index=False))
    return board, plots.leaderboard_figure(board, "heldout_nrmse", "family")


def explain_battery_lstm(
    challenger: RegisteredModel, history: pd.DataFrame, block_days: int
) -> tuple[pd.DataFrame, Figure]:
    """Occlusion attributions of the registered LSTM over the input window of each
    battery's last history days (the windows it forecasts the held-out days from).

    See :mod:`mlops_lab.battery.lstm_explanations`.

    Returns:
        The table (feature, block, mean absolute change of the forecast, and ``model``:
        the model's description) and its figure.
    """
    model = challenger.python_model
    table = lstm_explanations.occlusion_table(
        model, history[INPUT_COLUMNS].reset_index(drop=True), block_days
    ).assign(model=model.description)
    return table, lstm_explanations.occlusion_figure(table, model.description)


def build_battery_lstm_report(
    holdout: pd.DataFrame,
    forecasts: pd.DataFrame,
    history: pd.DataFrame,
    promotion: dict[str, Any],
    attribution: pd.DataFrame,
    report: dict[str, Any],
    block_days: int,
) -> tuple[str, str]:
    """The self-contained HTML report, twice: the versioned file and the run's copy.

    Args:
        report: ``real_batteries``, ``intended_use``, ``limitations`` and ``bootstrap``
            (``resamples``, ``block_days``, ``seed``) of the intervals.
    """
    settings = report["bootstrap"]
    intervals = battery_report.holdout_intervals(
        forecasts,
        history,
        report["real_batteries"],
        int(settings["resamples"]),
        int(settings["block_days"]),
        int(settings["seed"]),
        models={"lstm": "y_pred"},
    )
    logger.info("LSTM held-out nRMSE with 95 %% intervals:\n%s", intervals.to_string(index=False))
    card = {**report, "description": str(attribution["model"].iloc[0]), "block_days": block_days}
    html = battery_report.lstm_report(holdout, intervals, history, promotion, attribution, card)
    return html, html
