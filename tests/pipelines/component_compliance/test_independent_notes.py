"""``score_independent_notes``: both candidates and the rule reader on the three sets of
hand-written notes (development, sealed and second sealed)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.pandas import CSVDataset
from tests.components.small_model import generated_texts, untrained_package

from mlops_lab.components.evaluation import score_labelled_notes
from mlops_lab.components.rule import read_label
from mlops_lab.components.text import normalise_text
from mlops_lab.hooks import InputErrorContextHook
from mlops_lab.pipelines.component_compliance import create_pipeline
from mlops_lab.pipelines.component_compliance.nodes import (
    ECE_BINS,
    calibrate_tfidf_classifier,
    fit_tfidf_classifier,
    package_tfidf_model,
    score_independent_notes,
)
from mlops_lab.validation import InputValidationError

ROOT = Path(__file__).resolve().parents[3]
NOTES = ROOT / "data/01_raw/components/independent_notes.csv"
SEALED = ROOT / "data/01_raw/components/sealed_notes.csv"
SEALED_2 = ROOT / "data/01_raw/components/sealed_notes_2.csv"
CATALOG = yaml.safe_load((ROOT / "conf/base/catalog_components.yml").read_text())
ENTRY = CATALOG["component_independent_notes"]
SEALED_ENTRY = CATALOG["component_sealed_notes"]
SEALED_2_ENTRY = CATALOG["component_sealed_notes_2"]
BOOTSTRAP = {"resamples": 100, "level": 0.95, "seed": 0}
CALIBRATION = {"bins": 10, "recall_floor": 0.99, "max_threshold": 0.5}
BASELINE = {"ngram_range": [2, 4], "max_features": 20000, "C": 10.0}
FIGURES = ("accuracy", "recall_non_compliant", "precision_non_compliant", "ece")


def _notes_file(path: Path, entry: dict = ENTRY) -> CSVDataset:
    """The catalog entry's dataset (its load arguments) on ``path``."""
    return CSVDataset(filepath=str(path), load_args=entry["load_args"])


@pytest.fixture(scope="module")
def candidates():
    """A TF-IDF candidate fitted and calibrated by the pipeline's nodes, and an untrained
    network (probabilities near 0.5), both as the pyfuncs that get registered."""
    train, validation = generated_texts(1500, seed=31), generated_texts(400, seed=33)
    spec = {"sequence_length": 256}
    tfidf = fit_tfidf_classifier(train, spec, BASELINE, 0)
    calibration, _ = calibrate_tfidf_classifier(tfidf, validation, spec, CALIBRATION)
    baseline = package_tfidf_model(tfidf, calibration, spec, ["Iron part, 1999"], 500)
    return untrained_package(sequence_length=256), baseline


def test_the_node_scores_every_set_as_score_labelled_notes_does_overall_and_per_kind(
    candidates,
):
    network, baseline = candidates
    sets = {
        "development": _notes_file(NOTES).load(),
        "sealed": _notes_file(SEALED, SEALED_ENTRY).load(),
        "sealed_2": _notes_file(SEALED_2, SEALED_2_ENTRY).load(),
    }
    result = score_independent_notes(
        network, baseline, sets["development"], sets["sealed"], sets["sealed_2"], BOOTSTRAP
    )
    scores = result["scores"]
    assert scores.columns[:2].tolist() == ["notes", "group"]
    assert list(dict.fromkeys(scores["notes"])) == ["development", "sealed", "sealed_2"]
    models = {"char_bilstm": network, "tfidf_logreg": baseline}
    reference = dict(bins=ECE_BINS, resamples=100, level=0.95, seed=0)
    expected_metrics = {}
    for name, stage in (
        ("development", "independent"),
        ("sealed", "sealed"),
        ("sealed_2", "sealed_2"),
    ):
        notes = sets[name]
        own = scores[scores["notes"] == name].drop(columns="notes")
        overall = own[own["group"] == "all"].drop(columns="group").reset_index(drop=True)
        pd.testing.assert_frame_equal(overall, score_labelled_notes(models, notes, **reference))
        kinds = sorted(notes["kind"].unique())
        assert list(dict.fromkeys(own["group"])) == ["all", *kinds]
        for kind in kinds:
            rows = own[own["group"] == kind].drop(columns="group").reset_index(drop=True)
            subset = notes[notes["kind"] == kind].reset_index(drop=True)
            pd.testing.assert_frame_equal(rows, score_labelled_notes(models, subset, **reference))

        # Against the models' own predict and the rule, outside the evaluation module.
        table = overall.set_index("model")
        labels = notes["label"].to_numpy()
        served = baseline.predict(None, notes[["text"]])["label"].to_numpy()
        assert table.loc["tfidf_logreg", "accuracy"] == (served == labels).mean()
        assert table.loc["tfidf_logreg", "recall_non_compliant"] == served[labels == 1].mean()
        rule = notes["text"].map(lambda text: read_label(normalise_text(text))).to_numpy()
        assert table.loc["rule_reader", "accuracy"] == (rule == labels).mean()
        assert table.loc["tfidf_logreg", "n"] == len(notes)
        assert pd.isna(table.loc["rule_reader", "ece"])
        assert not pd.isna(table.loc["tfidf_logreg", "precision_non_compliant"])
        expected_metrics |= {
            f"components.{stage}.{model}.{figure}": {"value": table.loc[model, figure], "step": 0}
            for model in ("char_bilstm", "tfidf_logreg", "rule_reader")
            for figure in FIGURES
            if not pd.isna(table.loc[model, figure])
        }
    assert [len(notes) for notes in sets.values()] == [329, 400, 300]
    # Every defined figure of each set is logged under its own prefix, an undefined one
    # (the rule reader's ECE: it gives no probability; a precision when a tiny model calls
    # nothing non-compliant) is not.
    assert result["mlflow_metrics"] == expected_metrics
    prefixes = {key.split(".")[1] for key in result["mlflow_metrics"]}
    assert prefixes == {"independent", "sealed", "sealed_2"}


def _malformed(path: Path, problem: str) -> Path:
    source = {"sealed": SEALED, "second": SEALED_2}.get(problem.split()[0], NOTES)
    notes = pd.read_csv(source, keep_default_na=False).head(20)
    if problem == "missing label":
        notes = notes.drop(columns="label")
    elif problem == "label 2":
        notes.loc[3, "label"] = 2
    elif problem == "sealed condition":
        notes.loc[[6, 11], "condition"] = "ok"
    elif problem in ("sealed mislabelled", "second sealed mislabelled"):
        notes.loc[5, "label"] = 1 - notes.loc[5, "label"]
    notes.to_csv(path, index=False)
    return path


@pytest.mark.parametrize(
    ("problem", "dataset", "source", "expected"),
    [
        (
            "missing label",
            "component_independent_notes",
            "hand-written development notes (independent_notes.csv",
            r"column 'label': missing",
        ),
        (
            "label 2",
            "component_independent_notes",
            "hand-written development notes (independent_notes.csv",
            r"column 'label': expected label 0 \(compliant\) or 1 \(non-compliant\); "
            r"failed at rows \[3\]",
        ),
        (
            "sealed condition",
            "component_sealed_notes",
            "sealed hand-written notes (sealed_notes.csv",
            r"column 'condition': expected a condition, one of \['poor', 'fair', 'good', "
            r"'new'\]; failed at rows \[6, 11\]",
        ),
        (
            "sealed mislabelled",
            "component_sealed_notes",
            "sealed hand-written notes (sealed_notes.csv",
            r"table: expected label equal to the lab's rule applied to year, condition and "
            r"material; failed at rows \[5\]",
        ),
        (
            "second sealed mislabelled",
            "component_sealed_notes_2",
            "second sealed hand-written notes (sealed_notes_2.csv",
            r"table: expected label equal to the lab's rule applied to year, condition and "
            r"material; failed at rows \[5\]",
        ),
    ],
)
def test_malformed_notes_are_refused_naming_the_set_file_column_and_rows(
    candidates, tmp_path: Path, problem: str, dataset: str, source: str, expected: str
):
    network, baseline = candidates
    files = {
        "component_independent_notes": _notes_file(NOTES),
        "component_sealed_notes": _notes_file(SEALED, SEALED_ENTRY),
        "component_sealed_notes_2": _notes_file(SEALED_2, SEALED_2_ENTRY),
    }
    path = tmp_path / Path(CATALOG[dataset]["filepath"]).name
    files[dataset] = _notes_file(_malformed(path, problem), CATALOG[dataset])
    pipeline = create_pipeline().only_nodes("score_independent_notes")
    catalog = DataCatalog(
        {
            "component_network_pyfunc": MemoryDataset(network, copy_mode="assign"),
            "component_tfidf_pyfunc": MemoryDataset(baseline, copy_mode="assign"),
            **files,
            "params:component_compliance.evaluation.bootstrap": MemoryDataset(BOOTSTRAP),
        }
    )
    context = InputErrorContextHook()  # as the project's settings register it
    context.after_catalog_created(catalog)
    hooks = _create_hook_manager()
    hooks.register(context)
    with pytest.raises(InputValidationError, match=expected) as error:
        SequentialRunner().run(pipeline, catalog, hooks)
    message = str(error.value)
    assert message.startswith(source)
    assert f"dataset '{dataset}' ({path})" in message
