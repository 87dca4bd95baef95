"""The hand-written notes ship with the project, and the models are scored on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.components.small_model import generated_texts

from mlops_lab.components.baseline import TfidfComplianceModel, fit_tfidf_baseline
from mlops_lab.components.evaluation import score_labelled_notes
from mlops_lab.components.rule import read_label
from mlops_lab.components.text import normalise_text

NOTES = Path(__file__).resolve().parents[2] / "data/01_raw/components/independent_notes.csv"
KINDS = {"none", "boundary", "negation", "two_years", "compound", "typo"}


def test_the_hand_written_notes_are_labelled_and_varied():
    notes = pd.read_csv(NOTES, keep_default_na=False)
    assert list(notes.columns) == ["text", "label", "kind"]
    assert len(notes) >= 300 and not notes["text"].duplicated().any()
    assert set(notes["label"]) == {0, 1} and set(notes["kind"]) == KINDS
    assert 0.4 < notes["label"].mean() < 0.6
    words = notes["text"].map(normalise_text).str.split().str.len()
    assert words.max() <= 40 and words.min() >= 3


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
