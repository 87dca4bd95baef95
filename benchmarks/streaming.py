"""Benchmark of the streaming scorer (not a test), beside a plain pandas loop, in one run.

Run from the project root after a ``kedro run`` (it needs ``daily_battery_time_series``,
``battery-cycles-lstm@champion`` and ``battery-cycles@champion``)::

    python benchmarks/streaming.py                      # 60 files (days), 1 file a second
    python benchmarks/streaming.py --files 120 --rate 2

Prints, for the same generated files (one day of every battery per file, in the raw
format, a bad row every 10 files) and the same model (the LSTM champion):

* **fixed rate**: the generator lands ``--rate`` files a second while the query runs with
  a processing-time trigger of ``--trigger`` seconds: rows in per second, micro-batch
  duration (median, 95th percentile) and each row's latency from its file landing to its
  forecast's micro-batch end (``scored_at``);
* **backlog**: all files landed first, then one availableNow run: rows per second;
* **pandas loop**: the same files read and scored in order in one process with the same
  window logic (:func:`mlops_lab.battery.streaming.score_new_days`), once with the NumPy
  twin the stream uses and once with the Keras network of the registered pyfunc;
* the LSTM's and the AutoML champion's normalised RMSE on the same held-out days (the
  figures the promotion gate wrote onto each champion version's tags).

Spark tables and files go to a temporary folder, not the project's ``data/``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path
from urllib.parse import urlparse

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return (
        ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")
    )


def _pandas_loop(files: list[Path], model, windows: dict, known: list[int]) -> tuple[int, float]:
    """Score the files in order with pandas: the stream's checks and windows, no Spark."""
    import pandas as pd

    from mlops_lab.battery.schema import BATTERY_ID, DATE, TELEMETRY_COLUMNS
    from mlops_lab.battery.streaming import score_new_days

    state = dict(windows)
    scored = 0
    started = time.perf_counter()
    for path in files:
        raw = pd.read_csv(
            path,
            dtype=str,
            header=None,
            skiprows=1,
            names=[*TELEMETRY_COLUMNS, "_extra"],
            engine="python",
        )
        frame = raw.assign(
            **{DATE: pd.to_datetime(raw[DATE], errors="coerce")},
            **{c: pd.to_numeric(raw[c], errors="coerce") for c in TELEMETRY_COLUMNS[1:]},
        )
        numbers = frame[TELEMETRY_COLUMNS[2:]]
        ok = (
            raw["_extra"].isna()
            & frame[DATE].notna()
            & frame[BATTERY_ID].isin(known)
            & numbers.notna().all(axis=1)
            & (numbers >= 0).all(axis=1)
        )
        valid = frame[ok].assign(source_file=str(path))
        for battery_id, rows in valid.groupby(BATTERY_ID):
            state[battery_id], output = score_new_days(
                model, int(battery_id), state[battery_id], rows
            )
            scored += len(output)
    return scored, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=60, help="files (days) per measurement")
    parser.add_argument("--rate", type=float, default=1.0, help="files a second (fixed rate)")
    parser.add_argument("--trigger", type=float, default=1.0, help="processing-time trigger, s")
    parser.add_argument("--env", default=None, help="Kedro environment (default: local)")
    args = parser.parse_args()

    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.WARNING)
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project
    from kedro_datasets.spark import SparkStreamingDataset
    from mlflow.tracking import MlflowClient

    from mlops_lab.battery.generator import land_files
    from mlops_lab.battery.spark import StreamingQueryDataset, query_progress, spark_session
    from mlops_lab.battery.streaming import SOURCE_SCHEMA, read_committed
    from mlops_lab.pipelines.battery_streaming import nodes

    project = Path.cwd()
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=args.env) as session:
        context = session.load_context()
        catalog = context.catalog
        series = catalog.load("daily_battery_time_series")
        champion = catalog.load("battery_cycles_lstm_champion")
        spark_config = context.config_loader["spark"]
    client = MlflowClient()
    automl = client.get_model_version_by_alias("battery-cycles", "champion")
    lstm = client.get_model_version_by_alias("battery-cycles-lstm", "champion")
    spark = spark_session({**spark_config, "spark.ui.enabled": False})
    windows = nodes.starting_windows(series, champion)
    print(
        f"{champion.name} v{champion.version}, {len(windows)} batteries, Spark {spark.version} "
        f"{spark.sparkContext.master}, load average {os.getloadavg()[0]:.1f}"
    )

    def stream(root: Path, trigger: str, land) -> dict:
        """Start both queries on ``root/landing``; ``land`` drops the files (before the
        queries for availableNow, meanwhile for the processing-time trigger)."""
        source = SparkStreamingDataset(
            filepath=str(root / "landing"),
            file_format="csv",
            load_args={"schema": SOURCE_SCHEMA, "header": True, "maxFilesPerTrigger": 1000},
        )
        sinks = {
            name: StreamingQueryDataset(
                filepath=str(root / name),
                checkpoint=str(root / "checkpoints" / name),
                trigger=trigger,
                processing_time=f"{args.trigger} seconds",
                query_name=f"bench_{name}_{root.name}",
            )
            for name in ("quarantine", "forecasts")
        }
        (root / "landing").mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        landed = land() if trigger == "available_now" else []
        valid, quarantine = nodes.split_telemetry_stream(source.load(), windows)
        sinks["quarantine"].save(quarantine)
        sinks["forecasts"].save(nodes.score_telemetry_stream(valid, champion, windows))
        query = next(
            (q for q in spark.streams.active if q.name == f"bench_forecasts_{root.name}"), None
        )
        if trigger == "processing_time":
            landed = land()
            expected = sum(f.valid_rows for f in landed)
            while len(read_committed(root / "forecasts")) < expected:
                time.sleep(0.2)
        wall = time.perf_counter() - started
        progress = query_progress(query) if query is not None else []
        for active in spark.streams.active:
            active.stop()
        return {"landed": landed, "wall": wall, "progress": progress}

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        # Warm up (Python workers started, model unpickled) on a few files, not measured.
        stream(
            root / "warmup",
            "processing_time",
            lambda: land_files(series, root / "warmup/landing", 3, seed=9),
        )

        fixed = stream(
            root / "fixed",
            "processing_time",
            lambda: land_files(
                series, root / "fixed/landing", args.files, 1.0 / args.rate, 10, seed=1
            ),
        )
        batches = [p for p in fixed["progress"] if p.get("numInputRows")]
        durations = [p["durationMs"]["triggerExecution"] / 1000 for p in batches]
        scored = read_committed(root / "fixed/forecasts")
        landed_at = {str(f.path.resolve()): f.path.stat().st_mtime for f in fixed["landed"]}
        source = scored["source_file"].map(
            lambda uri: landed_at[str(Path(urlparse(uri).path).resolve())]
        )
        latency = (scored["scored_at"].astype("int64") / 1e9 - source).tolist()
        rows = int(sum(p["numInputRows"] for p in batches))
        print(
            f"fixed rate {args.rate:g} files/s ({args.files} files, {rows} rows, "
            f"trigger {args.trigger:g} s): {len(batches)} micro-batches, batch duration "
            f"median {statistics.median(durations):.2f} s, "
            f"p95 {_percentile(durations, 0.95):.2f} s; processed rows/s (in batch) median "
            f"{statistics.median(p['processedRowsPerSecond'] for p in batches):.0f}; "
            f"landing-to-forecast latency median {statistics.median(latency):.2f} s, "
            f"p95 {_percentile(latency, 0.95):.2f} s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )

        backlog = stream(
            root / "backlog",
            "available_now",
            lambda: land_files(series, root / "backlog/landing", args.files, 0.0, 10, seed=1),
        )
        backlog_rows = sum(f.valid_rows for f in backlog["landed"])
        print(
            f"backlog: {backlog_rows} valid rows in {args.files} files, one availableNow run of "
            f"both queries: {backlog['wall']:.1f} s, {backlog_rows / backlog['wall']:.0f} rows/s "
            f"(load average {os.getloadavg()[0]:.1f})"
        )
        files = backlog["landed"]

        twin = champion.python_model.streaming_twin()
        paths = [f.path for f in files]
        for label, model in (("NumPy twin", twin), ("Keras pyfunc", champion.python_model)):
            count, seconds = _pandas_loop(paths, model, windows, sorted(windows))
            print(
                f"pandas loop, {label}: {count} rows in {seconds:.2f} s, "
                f"{count / seconds:.0f} rows/s "
                f"(load average {os.getloadavg()[0]:.1f})"
            )
    print(
        f"held-out normalised RMSE, macro over batteries (same days): LSTM v{lstm.version} "
        f"{float(lstm.tags['metric.battery.heldout.lstm.normalized_rmse']):.4f}, AutoML champion "
        f"v{automl.version} {float(automl.tags['metric.battery.heldout.normalized_rmse']):.4f}"
    )
    spark.stop()


if __name__ == "__main__":
    main()
