"""Benchmark of the battery forecasting search on the default fleet (not a test).

Times the whole search (rolling-origin validation of every candidate, in parallel, plus
the greedy ensemble) on the latest ``daily_battery_time_series`` with the project's
parameters, then scores the selected model on the held-out last 30 days:

* the real series (battery 0, ``real_batteries``): normalized RMSE and its ratio to the
  best constant in hindsight (the ~0.129 floor of a white-noise series);
* the simulated fleet: ratio of the selected model to the best naive baseline, per
  battery and overall.

Run from the project root, after ``kedro run -p battery_simulation`` and
``kedro run -p battery_data``::

    python benchmarks/battery_search.py                   # as configured (exit score on)
    python benchmarks/battery_search.py --no-exit-score   # the search up to its time budget
    python benchmarks/battery_search.py --without-duration  # trip duration not known ahead
"""

from __future__ import annotations

import argparse
import copy
import logging
import os
import time
import warnings
from pathlib import Path

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-exit-score", action="store_true", help="search until the time budget")
    parser.add_argument(
        "--without-duration",
        action="store_true",
        help="regressions without the future Daily_Trip_Duration, no duration-driven ARIMA",
    )
    parser.add_argument("--env", default=None, help="Kedro environment (default: local)")
    args = parser.parse_args()

    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING)
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from mlops_lab.pipelines.battery_forecasting import nodes

    project = Path.cwd()
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=args.env) as session:
        context = session.load_context()
        params = copy.deepcopy(context.params["battery_forecasting"])
        series = context.catalog.load("daily_battery_time_series")
    if args.no_exit_score:
        params["search"]["exit_score"] = None
        params["search"]["patience"] = None
    candidates = params["candidates"]
    if args.without_duration:
        for candidate in candidates:
            fixed = candidate.get("fixed") or {}
            if "features" in fixed:
                fixed["features"]["covariates"] = ["Battery_Age_Days"]
            if "covariates" in fixed:
                fixed["covariates"] = []

    history, holdout = nodes.split_holdout(series, params["horizon"])
    started = time.perf_counter()
    search = nodes.search_forecasters(
        history,
        candidates,
        params["horizon"],
        params["validation"],
        params["search"],
        params["seed"],
    )
    ranked = nodes.add_ensemble(
        search["leaderboard"],
        search["forecasts"],
        history,
        params["horizon"],
        params["validation"],
        params["ensemble"],
    )
    wall = time.perf_counter() - started
    report = nodes.evaluate_on_holdout(
        ranked["leaderboard"], history, holdout, params["real_batteries"]
    )["report"]

    board = ranked["leaderboard"]
    summary = search["summary"]
    batteries, days = series["Battery_ID"].nunique(), len(series)
    evaluated = f"{summary['configurations_evaluated']}/{summary['configurations_planned']}"
    best, best_score = board["label"].iloc[0], board["normalized_rmse"].iloc[0]
    print(
        f"fleet: {batteries} batteries, {days} battery-days; cores: {os.cpu_count()}; "
        f"load average {os.getloadavg()}"
    )
    print(
        f"whole search wall time: {wall:.1f} s (search {summary['wall_time_s']:.1f} s + ensemble)"
    )
    print(f"stopped: {summary['stop_reason']}; {evaluated} configurations")
    print(f"selected: {best} (validation normalized RMSE {best_score:.4f})")
    real = report[report["series"] == "real"].iloc[0]
    met = "met" if real["nrmse_selected"] <= 0.1355 else "NOT met"
    print(
        f"battery {real['Battery_ID']} (real series) hold-out normalized RMSE "
        f"{real['nrmse_selected']:.4f}; best constant in "
        f"hindsight {real['nrmse_best_constant']:.4f}; ratio {real['ratio_to_best_constant']:.3f}; "
        f"lab exit score 0.1355 {met}"
    )
    fleet = report[report["series"] == "fleet"]
    print(f"fleet vs best naive baseline ({fleet['baseline_model'].iloc[0]}):")
    for _, row in fleet.iterrows():
        selected, baseline = row["nrmse_selected"], row["nrmse_baseline"]
        ratio = row["ratio_to_baseline"]
        print(f"  battery {row['Battery_ID']:>3}: {selected:.4f} / {baseline:.4f} = {ratio:.3f}")
    selected, baseline = fleet["nrmse_selected"].mean(), fleet["nrmse_baseline"].mean()
    ratios = fleet["ratio_to_baseline"]
    print(
        f"  overall (macro normalized RMSE): {selected:.4f} / {baseline:.4f} = "
        f"{selected / baseline:.3f}; per battery: median {ratios.median():.3f}, "
        f"worst {ratios.max():.3f}"
    )


if __name__ == "__main__":
    main()
