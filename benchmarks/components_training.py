"""Benchmark: the component-compliance classifier on the default (simulated) notes.

Runs ``component_simulation``, ``component_data`` and ``component_compliance`` with the
default (``base`` + empty ``local``) configuration in a throw-away copy of the project, so
the working copy's data and ``mlruns.db`` are not touched, then prints the wall time of
each pipeline (with the load average, the machine may be shared), the training time and
epochs, the figures on the held-out template families per slice with bootstrap intervals
(beside the rule's keyword reader), temperature, ECE before and after and the threshold,
the promotion decision, and the registered model's inference throughput through its pyfunc.

Then the run's own scores of both registered candidates (the character network and the
TF-IDF baseline, versions of ``component-compliance``) and the rule's keyword reader on
the three sets of hand-written notes (written by people, not by the generator; see the
README beside them), as the pipeline's ``score_independent_notes`` wrote them: the
development set ``data/01_raw/components/independent_notes.csv`` (read while the simulator
was widened, so optimistic) and the sealed sets ``sealed_notes.csv`` and
``sealed_notes_2.csv`` (written after, independently, never used for a choice): accuracy,
recall on non-compliant notes and ECE (15 bins) with bootstrap intervals, and the wrong
notes per kind, set by set.

Usage, from the project root::

    .venv/bin/python benchmarks/components_training.py [--keep /path/to/copy]
        [--params component_simulation.n_texts=100000]
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

from benchmarks.runtime_params import runtime_params  # noqa: E402
from tests.conftest import copy_project  # noqa: E402  (one definition of "a clean clone")

PIPELINES = ("component_simulation", "component_data", "component_compliance")
# The two sets of hand-written notes (column ``notes`` of the scores) and their files.
NOTE_SETS = {
    "development": PROJECT_ROOT / "data/01_raw/components/independent_notes.csv",
    "sealed": PROJECT_ROOT / "data/01_raw/components/sealed_notes.csv",
    "sealed_2": PROJECT_ROOT / "data/01_raw/components/sealed_notes_2.csv",
}


def _latest(folder: Path) -> Path:
    return sorted(folder.glob("*/*"))[-1]


def run(project: Path, params: dict) -> None:
    import mlflow
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    from mlops_lab.registry import load_registered_model

    os.chdir(project)
    bootstrap_project(project)
    started = time.perf_counter()
    from kedro.framework.project import pipelines

    dict(pipelines)  # imports every pipeline (TensorFlow included) once, as `kedro run` does
    print(f"project import: {time.perf_counter() - started:.1f} s (once per process)")
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    for name in PIPELINES:
        started = time.perf_counter()
        with KedroSession.create(project_path=project, runtime_params=params) as session:
            session.run(pipeline_names=[name])
        print(f"{name}: {time.perf_counter() - started:.1f} s wall, load {os.getloadavg()}")
    reporting = project / "data/08_reporting/components"
    history = json.loads((reporting / "training_history.json").read_text())
    report = json.loads(_latest(reporting / "component_data_report.json").read_text())
    metrics = json.loads(_latest(reporting / "test_metrics.json").read_text())
    slices = pd.read_csv(_latest(reporting / "slice_accuracy.csv"))
    promotion = json.loads(_latest(reporting / "promotion.json").read_text())
    print(
        f"texts (simulated): {report['rows_validated']} generated, {report['rows_primary']} "
        f"unique, train/validation/test {report['rows_train']}/{report['rows_validation']}/"
        f"{report['rows_test']}"
    )
    print(
        f"training (model.fit): {history['train_seconds']} s, {history['epochs_run']} epochs, "
        f"weights of epoch {history['best_epoch']} restored"
    )
    print(f"validation accuracy per epoch: {[round(v, 4) for v in history['val_accuracy']]}")
    print(
        f"test (held-out template families): accuracy {metrics['accuracy']:.4f}, recall "
        f"non-compliant {metrics['recall_non_compliant']:.4f}, macro F1 "
        f"{metrics['macro_f1']:.4f}, ECE {metrics['ece']:.4f}"
    )
    calibration = json.loads(
        _latest(project / "data/06_models/components/calibration.json").read_text()
    )
    print(
        f"calibration (validation): temperature {calibration['temperature']:.3f}, ECE "
        f"{calibration['ece_raw']:.4f} -> {calibration['ece_calibrated']:.4f}; threshold "
        f"{calibration['threshold']:.4f}, validation recall "
        f"{calibration['validation_recall_at_threshold']:.4f}"
    )
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print(slices.round(3).to_string(index=False))
    print(f"promotion: {promotion['reason']} (version {promotion['challenger']['version']})")
    board = pd.read_csv(_latest(reporting / "leaderboard.csv"))
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        print("leaderboard (held-out template families):")
        print(board.round(4).to_string(index=False))

    mlflow.set_tracking_uri(f"sqlite:///{project / 'mlruns.db'}")
    mlflow.set_registry_uri(f"sqlite:///{project / 'mlruns.db'}")
    model = load_registered_model("component-compliance", "champion")
    texts = pd.read_parquet(
        _latest(project / "data/05_model_input/components/component_texts_test.parquet")
    )
    model.predict(texts[["text"]].head(10))  # warm up (first call traces the graph)
    started = time.perf_counter()
    model.predict(texts[["text"]])
    seconds = time.perf_counter() - started
    print(
        f"inference through the pyfunc ({model.reference}): {len(texts)} texts in "
        f"{seconds:.2f} s, {len(texts) / seconds:,.0f} texts/s, load {os.getloadavg()}"
    )
    print_independent_notes(project)


def print_independent_notes(project: Path) -> None:
    """The run's own scores of both candidates and the rule reader on both sets of
    hand-written notes (``independent_notes_scores.csv``, node ``score_independent_notes``)."""
    registration = json.loads(
        _latest(project / "data/06_models/components/registration.json").read_text()
    )
    scores = pd.read_csv(
        _latest(project / "data/08_reporting/components/independent_notes_scores.csv"),
        keep_default_na=False,
        na_values=[""],
    )
    print(
        f"hand-written notes (not simulated); registered last: "
        f"{registration['challenger']['kind']}, runner-up "
        f"{registration['runner_up']['kind']} v{registration['runner_up']['version']}"
    )
    columns = ["model", "n", "refused", "accuracy", "accuracy_low", "accuracy_high"]
    columns += ["recall_non_compliant", "recall_non_compliant_low", "recall_non_compliant_high"]
    columns += ["ece", "ece_low", "ece_high"]
    for name, path in NOTE_SETS.items():
        notes = pd.read_csv(path, keep_default_na=False)
        own = scores[scores["notes"] == name]
        print(
            f"{name} notes ({path.name}: {len(notes)}, {int(notes['label'].sum())} non-compliant):"
        )
        with pd.option_context("display.width", 250, "display.max_columns", 20):
            print(own.loc[own["group"] == "all", columns].round(3).to_string(index=False))
        per_kind = own[own["group"] != "all"].assign(
            wrong=lambda frame: (frame["n"] * (1 - frame["accuracy"])).round().astype(int)
        )
        print(f"wrong {name} notes per kind:")
        wrong = per_kind.pivot_table(
            index="group", columns="model", values="wrong", aggfunc="first"
        )
        print(wrong.to_string())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="copy the project here and keep it")
    parser.add_argument(
        "--params", default="", help="runtime parameters, as `kedro run --params` takes them"
    )
    args = parser.parse_args()
    params = runtime_params(args.params)
    if args.keep:
        run(copy_project(args.keep), params)
        return
    with tempfile.TemporaryDirectory(prefix="components-benchmark-") as folder:
        run(copy_project(Path(folder) / "project"), params)


if __name__ == "__main__":
    main()
