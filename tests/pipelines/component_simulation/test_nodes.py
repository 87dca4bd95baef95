"""Node of ``component_simulation``."""

from __future__ import annotations

from mlops_lab.pipelines.component_simulation.nodes import simulate_component_texts


def test_simulated_file_has_the_labs_columns_and_size():
    texts = simulate_component_texts(
        n_texts=300, seed=3, year_min=1990, year_max=2000, max_tokens=15
    )
    assert list(texts.columns) == ["text", "label"]
    assert len(texts) == 300
    assert set(texts["label"]) == {0, 1}
    assert texts["text"].str.contains(r"\b(199\d|2000)\b").all()
