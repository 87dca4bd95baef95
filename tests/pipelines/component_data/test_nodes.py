"""Nodes of ``component_data``, including each kind of bad input."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_lab.pipelines.component_data.nodes import (
    drop_duplicate_texts,
    normalise_component_texts,
    report_component_data,
    split_component_texts,
    validate_component_texts,
)
from mlops_lab.simulators.component_texts import generate_component_texts
from mlops_lab.validation import InputValidationError

FRACTIONS = {"train": 0.6, "validation": 0.2, "test": 0.2}


def _note(text: str, label, **extra) -> dict:
    return {"text": text, "label": label, "family": "f1", "hard_case": "none", "fact_token": 2}


def test_valid_file_passes_and_extra_columns_are_dropped():
    raw = pd.DataFrame([_note("Steel part, 2001, good", "0") | {"note": "x"}])
    validated = validate_component_texts(raw)
    assert list(validated.columns) == ["text", "label", "family", "hard_case", "fact_token"]
    assert validated["label"].tolist() == [0]


def test_a_file_without_template_families_is_refused_naming_the_column():
    raw = pd.DataFrame({"text": ["steel part 2001 good"], "label": [0]})
    with pytest.raises(InputValidationError, match="column 'family': missing"):
        validate_component_texts(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            pd.DataFrame({"text": ["steel part 2001 good", ""], "label": [0, 1]}),
            r"column 'text': expected text with a letter or digit; failed at rows \[1\]",
        ),
        (
            pd.DataFrame({"text": ["steel part 2001 good", None], "label": [0, 1]}),
            r"column 'text'.*rows \[1\]",
        ),
        (
            pd.DataFrame({"text": ["a", "b", "c"], "label": [0, 2, 1]}),
            r"column 'label': expected label 0 \(compliant\) or 1 \(non-compliant\); "
            r"failed at rows \[1\]",
        ),
        (
            pd.DataFrame({"text": ["a", "b"], "label": ["0", "yes"]}),
            r"column 'label'.*rows \[1\]",
        ),
        (pd.DataFrame({"text": ["a", "b"]}), r"column 'label': missing"),
        (pd.DataFrame({"text": [], "label": []}), r"the file is empty"),
    ],
    ids=["empty-text", "missing-text", "label-2", "label-word", "no-label-column", "no-rows"],
)
def test_bad_input_raises_one_clear_error_naming_column_and_row(raw, expected):
    with pytest.raises(InputValidationError, match=expected) as error:
        validate_component_texts(raw)
    assert str(error.value).startswith("component texts (text, label)")


def test_normalisation_does_not_touch_the_input():
    raw = pd.DataFrame({"text": ["IRON Bracket,  1980!"], "label": [1]})
    normalised = normalise_component_texts(raw)
    assert normalised["text"].tolist() == ["iron bracket 1980"]
    assert raw["text"].tolist() == ["IRON Bracket,  1980!"]


def test_exact_duplicates_are_dropped_and_contradictions_refused():
    texts = pd.DataFrame({"text": ["a 1990", "a 1990", "b 2000"], "label": [1, 1, 0]})
    assert drop_duplicate_texts(texts)["text"].tolist() == ["a 1990", "b 2000"]
    contradicting = pd.DataFrame({"text": ["a 1990", "a 1990"], "label": [1, 0]})
    with pytest.raises(InputValidationError, match="carry both labels"):
        drop_duplicate_texts(contradicting)


def test_group_split_is_seeded_disjoint_and_leaks_no_family_into_training():
    texts = normalise_component_texts(generate_component_texts(3000, seed=5, n_families=50))
    splits = split_component_texts(texts, FRACTIONS, seed=11)
    again = split_component_texts(texts, FRACTIONS, seed=11)
    other = split_component_texts(texts, FRACTIONS, seed=12)
    assert all(splits[name].equals(again[name]) for name in splits)
    assert set(other["test"]["family"]) != set(splits["test"]["family"])
    families = {name: set(frame["family"]) for name, frame in splits.items()}
    assert families["train"].isdisjoint(families["test"])
    assert families["train"].isdisjoint(families["validation"])
    assert families["validation"].isdisjoint(families["test"])
    assert sum(len(frame) for frame in splits.values()) == len(texts)
    for name, share in FRACTIONS.items():
        assert len(splits[name]) / len(texts) == pytest.approx(share, abs=0.05)
        assert set(splits[name]["label"]) == {0, 1}


def test_group_split_needs_three_families():
    texts = pd.DataFrame(
        {"text": list("abcd"), "label": [0, 1, 0, 1], "family": ["x", "x", "y", "y"]}
    )
    with pytest.raises(InputValidationError, match="column 'family' has 2 template"):
        split_component_texts(texts, FRACTIONS, seed=1)


def test_split_fractions_must_sum_to_one():
    texts = pd.DataFrame(
        {"text": list("abcdefghij"), "label": [0, 1] * 5, "family": list("abcdefghij")}
    )
    with pytest.raises(ValueError, match="summing to 1"):
        split_component_texts(texts, {"train": 0.6, "validation": 0.3, "test": 0.3}, seed=1)


def test_report_counts_rows_in_and_out():
    validated = pd.DataFrame(
        {"text": ["A 1990", "a 1990", "b 2000"], "label": [1, 1, 0], "family": ["x", "x", "y"]}
    )
    normalised = normalise_component_texts(validated)
    primary = drop_duplicate_texts(normalised)
    report = report_component_data(
        validated, normalised, primary, primary.iloc[:1], primary.iloc[1:], primary.iloc[:0]
    )
    assert report["rows_validated"] == 3
    assert report["texts_changed_by_normalisation"] == 1
    assert report["duplicates_removed"] == 1
    assert report["rows_primary"] == 2
    assert (report["rows_train"], report["rows_validation"], report["rows_test"]) == (1, 1, 0)
    assert (report["families_train"], report["families_validation"]) == (1, 1)
