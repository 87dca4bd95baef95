"""Nodes of ``component_simulation``."""

from __future__ import annotations

from mlops_lab.pipelines.component_simulation.nodes import (
    MALFORMED_TEXTS,
    simulate_component_texts,
    simulate_texts_to_classify,
)
from mlops_lab.simulators.component_texts import COLUMNS

NOTES = {"year_min": 1990, "year_max": 2000, "n_families": 20, "non_compliant_share": 0.3}


def test_simulated_file_has_the_note_columns_and_the_options_asked_for():
    texts = simulate_component_texts(n_texts=600, seed=3, notes=NOTES)
    assert list(texts.columns) == COLUMNS
    assert len(texts) == 600
    assert texts["family"].nunique() == 20
    assert 0.24 < texts["label"].mean() < 0.36
    # Manufacture years within [1990, 2000] (boundary cases are 1993-1996 anyway), as four
    # digits or as '97.
    assert texts["text"].str.contains(r"\b(?:199\d|2000)\b|'(?:9\d|00)\b").all()


def test_texts_to_classify_are_new_unlabelled_and_end_with_malformed_rows():
    training = simulate_component_texts(300, seed=3, notes=NOTES)
    sample = simulate_texts_to_classify(50, seed=4, notes=NOTES)
    assert list(sample.columns) == ["text"]
    assert len(sample) == 50 + len(MALFORMED_TEXTS)
    assert sample["text"].tail(len(MALFORMED_TEXTS)).tolist() == list(MALFORMED_TEXTS)
    assert not sample["text"].head(50).equals(training["text"].head(50))
