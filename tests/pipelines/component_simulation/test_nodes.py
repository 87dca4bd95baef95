"""Node of ``component_simulation``."""

from __future__ import annotations

from mlops_lab.pipelines.component_simulation.nodes import (
    MALFORMED_TEXTS,
    simulate_component_texts,
    simulate_texts_to_classify,
)


def test_simulated_file_has_the_labs_columns_and_size():
    texts = simulate_component_texts(
        n_texts=300, seed=3, year_min=1990, year_max=2000, max_tokens=15
    )
    assert list(texts.columns) == ["text", "label"]
    assert len(texts) == 300
    assert set(texts["label"]) == {0, 1}
    assert texts["text"].str.contains(r"\b(199\d|2000)\b").all()


def test_texts_to_classify_are_new_unlabelled_and_end_with_malformed_rows():
    training = simulate_component_texts(300, seed=3, year_min=1960, year_max=2024, max_tokens=15)
    sample = simulate_texts_to_classify(50, seed=4, year_min=1960, year_max=2024, max_tokens=15)
    assert list(sample.columns) == ["text"]
    assert len(sample) == 50 + len(MALFORMED_TEXTS)
    assert sample["text"].tail(len(MALFORMED_TEXTS)).tolist() == list(MALFORMED_TEXTS)
    assert not sample["text"].head(50).equals(training["text"].head(50))
