"""Benchmark of batch scoring as it runs in production, on the held-out days (not a test).

``battery_forecasting`` scores the selected model on each battery's held-out last 30 days
with the *true* trip duration. In production the future trip duration is unknown and
``battery_batch_scoring`` forecasts it. This script refits the selected model (latest
leaderboard) on the history, forecasts the trip duration as the batch scoring does, and
scores the forecasts and the 80% / 95% intervals on the held-out days.

Run from the project root after ``kedro run -p battery_forecasting``::

    python benchmarks/battery_scoring_holdout.py
"""

from __future__ import annotations

import json
import logging
import os
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")


def main() -> None:
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING)
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from mlops_lab.battery.candidates import forecaster_from_spec
    from mlops_lab.battery.metrics import per_battery_metrics
    from mlops_lab.battery.model import BatteryCyclesModel, error_quantiles
    from mlops_lab.pipelines.battery_batch_scoring.nodes import (
        build_future_covariates,
        score_batteries,
    )
    from mlops_lab.registry import RegisteredModel

    bootstrap_project(Path.cwd())
    with KedroSession.create(project_path=Path.cwd()) as session:
        context = session.load_context()
        catalog, params = context.catalog, context.params
        board = catalog.load("battery_leaderboard")
        validation = catalog.load("battery_best_validation_forecasts")
        history = catalog.load("battery_forecast_history")
        holdout = catalog.load("battery_forecast_holdout").sort_values(["Battery_ID", "Date"])
    selected = board.iloc[0]
    forecaster = forecaster_from_spec(json.loads(selected["spec"])).fit(history)
    model = RegisteredModel(
        "battery-cycles",
        "refitted on the history",
        None,
        (),
        BatteryCyclesModel(forecaster, error_quantiles(validation), holdout.head(1), ""),
    )
    scoring = params["battery_batch_scoring"]
    started = time.perf_counter()
    future = build_future_covariates(history, model, scoring["horizon"], scoring["duration_arima"])
    forecasts = score_batteries(model, future).sort_values(["Battery_ID", "Date"])
    seconds = time.perf_counter() - started
    truth = holdout["Daily_Cycles_Used"].to_numpy()
    ranges = history.groupby("Battery_ID")["Daily_Cycles_Used"].agg(np.ptp)
    scores = per_battery_metrics(
        forecasts.assign(y_true=truth, y_pred=forecasts["forecast"].to_numpy()), ranges
    )["normalized_rmse"]
    baseline = catalog.load("battery_report_holdout").set_index("Battery_ID")

    real = baseline.index[baseline["series"] == "real"]
    print(f"selected model: {selected['label']}; duration model: {scoring['duration_arima']}")
    print(f"duration forecast + scoring: {seconds:.1f} s; load average {os.getloadavg()}")
    for battery in real:
        print(
            f"battery {battery} (real series): normalized RMSE {scores.loc[battery]:.4f} with a "
            f"forecast trip duration (best constant in hindsight "
            f"{baseline.loc[battery, 'nrmse_best_constant']:.4f})"
        )
    fleet, fleet_baseline = scores.drop(real), baseline["nrmse_baseline"].drop(real)
    print(
        f"fleet: macro normalized RMSE {fleet.mean():.4f} vs best naive baseline "
        f"{fleet_baseline.mean():.4f} (ratio {fleet.mean() / fleet_baseline.mean():.3f})"
    )
    for level in (80, 95):
        inside = (truth >= forecasts[f"lower_{level}"]) & (truth <= forecasts[f"upper_{level}"])
        print(f"{level}% intervals cover {inside.mean():.1%} of the held-out days")


if __name__ == "__main__":
    main()
