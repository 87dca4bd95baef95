"""Benchmark: the compliance candidates of an earlier commit against today's, on the same notes.

A change to the simulator or the network is judged on notes neither version was tuned on.
This script trains the earlier commit's default lane (``benchmarks/components_training.py``
of that commit, in a throw-away copy of it) and today's (of the working copy), then scores
all four candidates (network and TF-IDF of each) and the rule's keyword reader on the same
notes:

* today's held-out template families (simulated; the earlier candidates were trained on
  their own phrasing, so for them these are unseen families as well), per slice;
* the hand-written development notes and, with ``--sealed``, the two sealed sets
  (``data/01_raw/components/README.md``), per kind.

Figures: accuracy with 95 % bootstrap intervals (held-out notes resampled by template
family, hand-written ones note by note) per slice or kind, and recall, precision
on non-compliant notes and ECE (15 bins) on all notes, as Markdown tables. The sealed sets
are printed only when asked: look at them after every choice is made, never to make one.

The earlier candidates are pickled objects of the earlier code, so they are loaded and
run by a Python process with the earlier commit's ``src`` on its path; their predictions
come back as a Parquet file.

``--params`` (as ``kedro run --params`` takes them) applies to today's lane only, so
``--against HEAD --params component_simulation.n_texts=32000`` compares the committed
defaults with a parameter change, both on the notes that change produces.

Usage, from the project root::

    .venv/bin/python benchmarks/components_compare.py --against ffbeb69 [--sealed]
        [--params a.b=1,...] [--work /path/to/keep/the/copies]
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from benchmarks.components_training import NOTE_SETS, _latest  # noqa: E402

CANDIDATES = {"char_bilstm": "network_pyfunc.pkl", "tfidf_logreg": "tfidf_pyfunc.pkl"}
TEST_SPLIT = "data/05_model_input/components/component_texts_test.parquet"
BOOTSTRAP = {"resamples": 1000, "level": 0.95, "seed": 0}


def note_sets(run: Path, sealed: bool) -> dict[str, pd.DataFrame]:
    """The notes every candidate is scored on, by set name."""
    held_out = pd.read_parquet(_latest(run / TEST_SPLIT)).reset_index(drop=True)
    return {"held_out": held_out} | {
        name: pd.read_csv(path, keep_default_na=False)
        for name, path in NOTE_SETS.items()
        if name == "development" or sealed  # the sealed sets with --sealed only
    }


def predict_candidates(run: Path, sets: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``set, model, row, probability, predicted`` of a run's two pickled candidates.

    Runs with whichever ``mlops_lab`` is importable: the earlier commit's, in the child
    process of :func:`earlier_predictions`, or today's.
    """
    from mlops_lab.components.evaluation import predict_notes

    frames = []
    for kind, file in CANDIDATES.items():
        with open(_latest(run / "data/06_models/components" / file), "rb") as stream:
            model = pickle.load(stream)  # the lane's own output
        for name, notes in sets.items():
            predicted = predict_notes(model, notes)
            frames.append(
                pd.DataFrame(
                    {
                        "set": name,
                        "model": kind,
                        "row": range(len(notes)),
                        "probability": predicted["probability"].to_numpy(),
                        "predicted": predicted["predicted"].to_numpy(),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def train(source: Path, copy: Path, pythonpath: Path | None, params: str = "") -> None:
    """The compliance lane of ``source`` (a project tree) in ``copy``: its defaults, with
    ``params`` (``a.b=1,...``) over them when given."""
    environment = dict(os.environ, KEDRO_DISABLE_TELEMETRY="true", TF_CPP_MIN_LOG_LEVEL="2")
    if pythonpath is not None:
        environment["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{source}"
    command = [sys.executable, str(source / "benchmarks/components_training.py")]
    log = copy.with_suffix(".log")
    print(f"training {source} in {copy} (output in {log}) ...", flush=True)
    # The output holds the run's own figures on the hand-written notes, sealed ones
    # included: it goes to the log, not to the screen.
    with open(log, "w") as stream:
        subprocess.run(
            [*command, "--keep", str(copy), *(["--params", params] if params else [])],
            cwd=source,
            env=environment,
            check=True,
            stdout=stream,
            stderr=subprocess.STDOUT,
        )


def earlier_predictions(commit: str, work: Path, today: Path, sealed: bool) -> pd.DataFrame:
    """Train ``commit``'s lane and predict today's notes with its candidates."""
    tree = work / f"tree-{commit}"
    tree.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=PROJECT_ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    run = work / f"run-{commit}"
    train(tree, run, pythonpath=tree / "src")
    output = work / f"predictions-{commit}.parquet"
    child = (
        "import sys; from pathlib import Path; import pandas as pd; "
        "sys.path.insert(0, sys.argv[1]); import components_compare as c; "
        "c.predict_candidates(Path(sys.argv[2]), "
        "c.note_sets(Path(sys.argv[3]), sys.argv[4] == '1')).to_parquet(sys.argv[5])"
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            child,
            str(Path(__file__).parent),
            str(run),
            str(today),
            "1" if sealed else "0",
            str(output),
        ],
        env=dict(os.environ, PYTHONPATH=str(tree / "src"), TF_CPP_MIN_LOG_LEVEL="2"),
        check=True,
    )
    return pd.read_parquet(output)


def tables(sets: dict[str, pd.DataFrame], predictions: pd.DataFrame) -> str:
    """Markdown: per slice (held-out) or per kind (hand-written), accuracy with intervals;
    recall, precision and ECE on all notes."""
    from mlops_lab.components.evaluation import (
        calibration_error_with_interval,
        slice_masks,
        slice_table,
    )
    from mlops_lab.components.rule import read_label
    from mlops_lab.components.text import normalise_text

    def interval(row: pd.Series | dict, name: str) -> str:
        return f"{row[name]:.3f} [{row[name + '_low']:.3f}, {row[name + '_high']:.3f}]"

    lines = []
    for name, notes in sets.items():
        by_model = {}
        probabilities = {}
        for (version, kind), frame in predictions[predictions["set"] == name].groupby(
            ["version", "model"], sort=False
        ):
            frame = frame.sort_values("row")
            by_model[f"{version} {kind}"] = pd.Series(frame["predicted"].to_numpy())
            probabilities[f"{version} {kind}"] = frame["probability"].to_numpy()
        rule = notes["text"].map(lambda text: read_label(normalise_text(text)))
        by_model["rule reader"] = rule.reset_index(drop=True)
        notes = notes.reset_index(drop=True)
        if name == "held_out":
            masks = slice_masks(notes, 15, [15, 25, 40])
        else:
            masks = {"all": pd.Series(True, index=notes.index)} | {
                f"kind {kind}": notes["kind"] == kind for kind in sorted(notes["kind"].unique())
            }
        table = slice_table(notes, by_model, masks, **BOOTSTRAP)
        lines += [
            f"\n## {name} ({len(notes)} notes)\n",
            "| slice | n | " + " | ".join(by_model) + " |",
            "|---|---|" + "---|" * len(by_model),
        ]
        for slice_name, rows in table.groupby("slice", sort=False):
            rows = rows.set_index("model")
            cells = " | ".join(interval(rows.loc[model], "accuracy") for model in by_model)
            lines.append(f"| {slice_name} | {int(rows['n'].iloc[0])} | {cells} |")
        overall = table[table["slice"] == "all"].set_index("model")
        for figure in ("recall_non_compliant", "precision_non_compliant"):
            cells = "; ".join(f"{m} {interval(overall.loc[m], figure)}" for m in by_model)
            lines.append(f"\n{figure.replace('_', ' ')} (all): {cells}")
        families = notes["family"].to_numpy() if "family" in notes else None
        ece = {
            model: calibration_error_with_interval(
                probability, notes["label"].to_numpy(), 15, **BOOTSTRAP, groups=families
            )
            for model, probability in probabilities.items()
        }
        lines.append(
            "\nECE, 15 bins (all): "
            + "; ".join(f"{m} {interval(e, 'ece')}" for m, e in ece.items())
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="the earlier commit (any git revision)")
    parser.add_argument("--sealed", action="store_true", help="score the sealed notes too")
    parser.add_argument("--work", type=Path, help="keep the copies and runs here")
    parser.add_argument("--params", default="", help="today's lane only, as `kedro run --params`")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        today = work / "run-today"
        train(PROJECT_ROOT, today, pythonpath=None, params=args.params)
        sets = note_sets(today, args.sealed)
        earlier = earlier_predictions(args.against, work, today, args.sealed)
        current = predict_candidates(today, sets)
        predictions = pd.concat(
            [earlier.assign(version="earlier"), current.assign(version="today")],
            ignore_index=True,
        )
        print(
            f"earlier: {args.against}; today: the working copy"
            f"{' with ' + args.params if args.params else ''}; load {os.getloadavg()}"
        )
        print(tables(sets, predictions))


if __name__ == "__main__":
    main()
