"""Benchmark: seconds to classify a year of days with the registered model (not a test).

Simulates one year of raw SmartSMEAR DMPS rows (every day of the labels file in that year,
with the usual defects), loads ``aerosol-event-classifier`` from the MLflow registry and
times ``predict`` on all rows at once: validation, grid mapping, cleaning, scaling and
the CNN, exactly as served. The data are simulated.

Run from the project root after ``kedro run`` (which registers a model)::

    python benchmarks/aerosol_inference.py                 # year 2005, @champion
    python benchmarks/aerosol_inference.py --year 2010 --version 3 --repeat 3
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import mlflow
import pandas as pd

from mlops_lab.aerosol.labels import parse_labels
from mlops_lab.simulators.aerosol_dmps import (
    DefectRates,
    InstrumentGrid,
    simulate_export,
)

LABELS = Path("data/01_raw/aerosol/hyytiala_Event_classification_2004-2014.csv")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2005)
    parser.add_argument("--version", default="champion", help="a version number or an alias")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best is kept")
    parser.add_argument("--tracking-uri", default="sqlite:///mlruns.db")
    args = parser.parse_args()

    labels = parse_labels(pd.read_csv(LABELS), str(LABELS))
    days = labels[labels["date"].dt.year == args.year]
    raw = simulate_export(days, InstrumentGrid(2005, 2014, 3.0, 1000.0, 45), 1, DefectRates())
    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_registry_uri(args.tracking_uri)
    separator = "/" if args.version.isdigit() else "@"
    uri = f"models:/aerosol-event-classifier{separator}{args.version}"
    started = time.perf_counter()
    model = mlflow.pyfunc.load_model(uri)
    load_seconds = time.perf_counter() - started

    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = model.predict(raw)
        timings.append(time.perf_counter() - started)
    classified = (result["status"] == "classified").sum()
    print(f"model: {uri} (loaded in {load_seconds:.1f} s)")
    print(f"input: {len(raw)} raw rows, {len(result)} days of {args.year} (simulated data)")
    print(f"classified: {classified} days, not classified: {len(result) - classified}")
    print(
        f"seconds to classify the year: {min(timings):.2f} (best of {args.repeat}; "
        f"all: {', '.join(f'{t:.2f}' for t in timings)})"
    )


if __name__ == "__main__":
    main()
