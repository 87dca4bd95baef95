"""The sets of hand-written notes ship with the project, and the models are scored on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.components.small_model import generated_texts

from mlops_lab.components.baseline import TfidfComplianceModel, fit_tfidf_baseline
from mlops_lab.components.evaluation import score_labelled_notes
from mlops_lab.components.rule import CONDITIONS, MATERIALS, compliance_label, read_label
from mlops_lab.components.schemas import SEALED_NOTES_SCHEMA
from mlops_lab.components.text import normalise_text
from mlops_lab.validation import InputValidationError, validate_frame

RAW = Path(__file__).resolve().parents[2] / "data/01_raw/components"
NOTES = RAW / "independent_notes.csv"
SEALED = RAW / "sealed_notes.csv"
SEALED_2 = RAW / "sealed_notes_2.csv"
KINDS = {"none", "boundary", "negation", "two_years", "compound", "typo"}
SEALED_KINDS = {
    "none": 241,
    "boundary": 33,
    "two_years": 29,
    "negation": 27,
    "compound": 25,
    "shorthand": 23,
    "typo": 22,
}


def test_the_hand_written_notes_are_labelled_and_varied():
    notes = pd.read_csv(NOTES, keep_default_na=False)
    assert list(notes.columns) == ["text", "label", "kind"]
    assert len(notes) >= 300 and not notes["text"].duplicated().any()
    assert set(notes["label"]) == {0, 1} and set(notes["kind"]) == KINDS
    assert 0.4 < notes["label"].mean() < 0.6
    words = notes["text"].map(normalise_text).str.split().str.len()
    assert words.max() <= 40 and words.min() >= 3


def test_the_sealed_notes_ship_with_facts_and_labels_that_follow_the_rule():
    notes = pd.read_csv(SEALED, keep_default_na=False)
    assert list(notes.columns) == ["text", "year", "condition", "material", "label", "kind"]
    assert len(notes) >= 380 and not notes["text"].duplicated().any()
    assert notes["kind"].value_counts().to_dict() == SEALED_KINDS
    assert notes["label"].value_counts().to_dict() == {0: 205, 1: 195}
    assert set(notes["condition"]) == set(CONDITIONS)
    assert set(notes["material"]) == set(MATERIALS)
    assert notes["year"].between(1900, 2100).all()
    rule = [
        compliance_label(year, condition, material)
        for year, condition, material in notes[["year", "condition", "material"]].itertuples(
            index=False
        )
    ]
    assert notes["label"].tolist() == rule
    # No note of the sealed set is one of the development set's.
    development = pd.read_csv(NOTES, keep_default_na=False)
    assert not set(notes["text"].map(normalise_text)) & set(development["text"].map(normalise_text))
    checked = validate_frame(notes, SEALED_NOTES_SCHEMA, "sealed notes")
    assert checked["year"].dtype.kind == "i" and len(checked) == len(notes)


def test_the_second_sealed_notes_are_new_notes_with_facts_and_labels_that_follow_the_rule():
    notes = pd.read_csv(SEALED_2, keep_default_na=False)
    assert list(notes.columns) == ["text", "year", "condition", "material", "label", "kind"]
    assert len(notes) == 300 and not notes["text"].duplicated().any()
    assert notes["kind"].value_counts().to_dict() == {
        "none": 180,
        "negation": 24,
        "compound": 24,
        "two_years": 24,
        "boundary": 24,
        "typo": 24,
    }
    assert notes["label"].value_counts().to_dict() == {1: 152, 0: 148}
    assert set(notes["condition"]) == set(CONDITIONS)
    assert set(notes["material"]) == set(MATERIALS)
    rule = [
        compliance_label(year, condition, material)
        for year, condition, material in notes[["year", "condition", "material"]].itertuples(
            index=False
        )
    ]
    assert notes["label"].tolist() == rule
    # New notes: none is one of the other two sets' (after normalisation).
    others = pd.concat([pd.read_csv(path, keep_default_na=False) for path in (NOTES, SEALED)])
    assert not set(notes["text"].map(normalise_text)) & set(others["text"].map(normalise_text))
    checked = validate_frame(notes, SEALED_NOTES_SCHEMA, "second sealed notes")
    assert len(checked) == len(notes)


def test_a_sealed_label_that_is_not_the_rules_is_refused_naming_its_rows():
    notes = pd.read_csv(SEALED, keep_default_na=False).head(30)
    notes.loc[[4, 17], "label"] = 1 - notes.loc[[4, 17], "label"]
    notes.loc[9, "material"] = "aluminium"  # its own column names it; the rule cannot apply
    notes.loc[12, "year"] = 1850
    with pytest.raises(InputValidationError) as error:
        validate_frame(notes, SEALED_NOTES_SCHEMA, "sealed notes")
    lines = str(error.value).splitlines()
    assert lines[0] == "sealed notes failed validation:"
    # The table-level check is one line, with its rows (not one line per column).
    table = [line for line in lines if "the lab's rule" in line]
    assert table == [
        "  - table: expected label equal to the lab's rule applied to year, condition and "
        "material; failed at rows [4, 17] (2 row(s) in all)"
    ]
    assert any("column 'material'" in line and "rows [9]" in line for line in lines)
    assert any("column 'year'" in line and "rows [12]" in line for line in lines)


def _tfidf(sequence_length: int = 256) -> TfidfComplianceModel:
    train = generated_texts(1500, seed=11)
    params = {"ngram_range": [2, 4], "max_features": 20000, "C": 10.0}
    pipeline = fit_tfidf_baseline(train["text"], train["label"], params, 0)
    example = pd.DataFrame({"text": ["steel, good, 2001"]})
    return TfidfComplianceModel(pipeline, example, 0.5, 500, sequence_length, 1.0)


def test_labelled_notes_are_scored_with_intervals_beside_the_rule_reader():
    notes = pd.DataFrame(
        {
            "text": [
                "Steel bracket, 2011, good",
                "Plastic clip, 2015, good",
                "Not iron - steel. 2012, new.",
                "carbon fibre lip 2019 fair " + "x" * 60,  # longer than a 60-char window
            ],
            "label": [0, 1, 0, 1],
        }
    )
    table = score_labelled_notes(
        {"tfidf": _tfidf(sequence_length=60)}, notes, bins=5, resamples=200, level=0.9, seed=0
    ).set_index("model")
    assert list(table.index) == ["tfidf", "rule_reader"]
    assert table.loc["tfidf", "refused"] == 1  # refused, counted as called non-compliant
    rule = notes["text"].map(lambda text: read_label(normalise_text(text)))
    assert table.loc["rule_reader", "accuracy"] == (rule == notes["label"]).mean()
    assert np.isnan(table.loc["rule_reader", "ece"])
    for figure in ("accuracy", "ece"):
        low, point, high = table.loc["tfidf", [f"{figure}_low", figure, f"{figure}_high"]]
        assert low <= point <= high
    assert table.loc["tfidf", "recall_non_compliant"] == 1.0


@pytest.mark.slow
def test_a_model_trained_on_simulated_notes_reads_most_hand_written_ones():
    notes = pd.read_csv(NOTES, keep_default_na=False)
    table = score_labelled_notes(
        {"tfidf": _tfidf()}, notes, bins=10, resamples=100, level=0.95, seed=0
    ).set_index("model")
    # Well above chance, below perfect: the figure is reported, not tuned to.
    assert 0.6 < table.loc["tfidf", "accuracy"] < 1.0
