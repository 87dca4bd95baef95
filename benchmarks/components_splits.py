"""Benchmark: how much the compliance figures depend on which template families are held out.

One split of the template families gives one figure; another split gives another,
and the difference can be larger than any bootstrap interval of one split (the network
learns from different families, the threshold is set on different ones). This script
simulates the default notes once, then for each split seed runs ``component_data`` and
``component_compliance`` in a throw-away copy of the project (``base`` + empty ``local``)
and prints, per seed, for the registered candidate (``@challenger``) on its held-out
families (simulated notes):

* accuracy and recall on non-compliant notes at the chosen threshold, ECE, the threshold;
* ROC AUC, and for diagnosis only the accuracy at the threshold that would give recall
  0.99 on the held-out notes themselves (an oracle: it says whether the ranking or the
  threshold falls short);
* the epochs trained and the seconds of ``model.fit`` (``fit_seconds``);
* accuracy and recall on the hand-written *development* notes (the sealed ones are not
  printed: they are looked at once a change is settled, with ``components_compare.py``);

then the spread over the seeds. Judge a change by all seeds, not by the default one.

Usage, from the project root::

    .venv/bin/python benchmarks/components_splits.py [--seeds 42 1 2] [--params a.b=1,...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.components_training import _latest  # noqa: E402
from benchmarks.runtime_params import runtime_params  # noqa: E402
from tests.conftest import copy_project  # noqa: E402  (one definition of "a clean clone")

TARGET_RECALL = 0.99


def _run(project: Path, pipelines: list[str], params: dict) -> None:
    from kedro.framework.session import KedroSession

    with KedroSession.create(project_path=project, runtime_params=params or None) as session:
        session.run(pipeline_names=pipelines)


def split_figures(project: Path) -> dict[str, float]:
    """Figures of the latest ``component_compliance`` run in ``project`` (see the module)."""
    from sklearn.metrics import roc_auc_score

    output = project / "data/07_model_output/components"
    test = pd.read_parquet(_latest(output / "test_predictions.parquet"))
    labels, probability = test["label"].to_numpy(), test["probability"].to_numpy()
    called = test["predicted"].to_numpy()
    ranked = np.sort(probability[labels == 1])
    oracle = ranked[int((1 - TARGET_RECALL) * len(ranked))]
    reporting = project / "data/08_reporting/components"
    metrics = json.loads(_latest(reporting / "test_metrics.json").read_text())
    calibration = json.loads(
        _latest(project / "data/06_models/components/calibration.json").read_text()
    )
    registration = json.loads(
        _latest(project / "data/06_models/components/registration.json").read_text()
    )
    history = json.loads((reporting / "training_history.json").read_text())
    scores = pd.read_csv(_latest(reporting / "independent_notes_scores.csv"))
    development = scores[
        (scores["notes"] == "development")
        & (scores["group"] == "all")
        & (scores["model"] == registration["challenger"]["kind"])
    ]
    return {
        "families": test["family"].nunique(),
        "accuracy": float((called == labels).mean()),
        "recall": float(called[labels == 1].mean()),
        "ece": float(metrics["ece"]),
        "threshold": float(calibration["threshold"]),
        "auc": float(roc_auc_score(labels, probability)),
        "oracle_threshold": float(oracle),
        "oracle_accuracy": float(((probability >= oracle) == labels).mean()),
        "development_accuracy": float(development["accuracy"].iloc[0]),
        "development_recall": float(development["recall_non_compliant"].iloc[0]),
        "epochs": history["epochs_run"],
        "fit_seconds": history["train_seconds"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 1, 2])
    parser.add_argument("--params", default="", help="as `kedro run --params` takes them")
    args = parser.parse_args()
    params = runtime_params(args.params)
    from kedro.framework.startup import bootstrap_project

    rows = []
    with tempfile.TemporaryDirectory(prefix="components-splits-") as folder:
        project = copy_project(Path(folder) / "project")
        os.chdir(project)
        bootstrap_project(project)
        print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
        _run(project, ["component_simulation"], params)
        for seed in args.seeds:
            started = time.perf_counter()
            seeded = params | {"component_data": params.get("component_data", {}) | {"seed": seed}}
            _run(project, ["component_data", "component_compliance"], seeded)
            row = {"seed": seed} | split_figures(project)
            row["seconds"] = round(time.perf_counter() - started, 1)
            print(f"split seed {seed}: {row} (load {os.getloadavg()})", flush=True)
            rows.append(row)
    table = pd.DataFrame(rows).set_index("seed")
    print("\nheld-out template families (simulated) per split seed, @challenger:")
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(table.round(4).to_string())
        print("\nover the seeds:")
        spread = table.drop(columns=["seconds", "fit_seconds"]).agg(["mean", "min", "max"])
        print(spread.round(4).to_string())


if __name__ == "__main__":
    main()
