"""Benchmark: the component-compliance classifier on the default 100,000 texts.

Runs ``component_simulation``, ``component_data`` and ``component_compliance`` with the
default (``base`` + empty ``local``) configuration in a throw-away copy of the project, so
the working copy's data and ``mlruns.db`` are not touched, then prints the wall time of
each pipeline, the training time, the test accuracy and the accuracy per rule slice, and
the machine's load average (the machine may be shared).

Usage, from the project root::

    .venv/bin/python benchmarks/components_training.py [--keep /path/to/copy]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.conftest import copy_project  # noqa: E402  (one definition of "a clean clone")

PIPELINES = ("component_simulation", "component_data", "component_compliance")


def _latest(folder: Path) -> Path:
    return sorted(folder.glob("*/*"))[-1]


def run(project: Path) -> None:
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.chdir(project)
    bootstrap_project(project)
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    for name in PIPELINES:
        started = time.perf_counter()
        with KedroSession.create(project_path=project) as session:
            session.run(pipeline_name=name)
        print(f"{name}: {time.perf_counter() - started:.1f} s wall")
    reporting = project / "data/08_reporting/components"
    history = json.loads((reporting / "training_history.json").read_text())
    report = json.loads(_latest(reporting / "component_data_report.json").read_text())
    metrics = json.loads(_latest(reporting / "test_metrics.json").read_text())
    slices = pd.read_csv(_latest(reporting / "slice_accuracy.csv"))
    run_info = json.loads(_latest(reporting / "mlflow_run.json").read_text())
    print(f"load average after: {os.getloadavg()}")
    print(
        f"texts: {report['rows_validated']} generated, {report['rows_primary']} unique, "
        f"train/validation/test {report['rows_train']}/{report['rows_validation']}/"
        f"{report['rows_test']}"
    )
    print(f"training (model.fit, {len(history['loss'])} epochs): {history['train_seconds'][0]} s")
    print(f"validation accuracy per epoch: {[round(v, 4) for v in history['val_accuracy']]}")
    print(f"test accuracy: {metrics['accuracy']:.4f}, macro F1 {metrics['macro_f1']:.4f}")
    print(slices.to_string(index=False))
    print(f"MLflow run {run_info['run_id']}, registered {run_info['registered_models']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="copy the project here and keep it")
    args = parser.parse_args()
    if args.keep:
        run(copy_project(args.keep))
        return
    with tempfile.TemporaryDirectory(prefix="components-benchmark-") as folder:
        run(copy_project(Path(folder) / "project"))


if __name__ == "__main__":
    main()
