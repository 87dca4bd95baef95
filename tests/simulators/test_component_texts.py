"""The component-text generator: deterministic, varied, short, and labelled by the rule."""

from __future__ import annotations

import re

import pytest

from mlops_lab.components.rule import CONDITIONS, MATERIALS, compliance_label, read_attributes
from mlops_lab.components.text import normalise_text
from mlops_lab.simulators.component_texts import generate_component_texts


@pytest.fixture(scope="module")
def texts():
    return generate_component_texts(n_texts=4000, seed=7)


def test_same_seed_same_texts_and_other_seed_other_texts(texts):
    again = generate_component_texts(n_texts=4000, seed=7)
    other = generate_component_texts(n_texts=4000, seed=8)
    assert again.equals(texts)
    assert (other["text"] != texts["text"]).mean() > 0.95


def test_every_label_follows_the_rule_from_the_facts_stated(texts):
    for text, label in zip(texts["text"], texts["label"], strict=True):
        facts = read_attributes(normalise_text(text))
        assert None not in (facts.year, facts.condition, facts.material), text
        assert compliance_label(facts.year, facts.condition, facts.material) == label, text


def test_texts_fit_the_sequence_length(texts):
    words = texts["text"].map(lambda text: len(normalise_text(text).split()))
    assert words.max() <= 15
    assert words.min() >= 4


def test_all_values_and_both_boundary_years_occur(texts):
    facts = [read_attributes(normalise_text(text)) for text in texts["text"]]
    assert {f.condition for f in facts} == set(CONDITIONS)
    assert {f.material for f in facts} == set(MATERIALS)
    years = {f.year for f in facts}
    assert {1994, 1995} <= years
    assert min(years) == 1960 and max(years) == 2024


def test_phrasing_varies_in_templates_and_word_order(texts):
    normalised = texts["text"].map(normalise_text)
    skeletons = normalised.map(
        lambda t: re.sub(
            r"\b(poor|fair|good|new|plastic|carbon fiber|steel|iron|\d{4})\b", "<x>", t
        )
    )
    assert skeletons.nunique() > 1000
    year_first = normalised.str.match(r"^(manufactured|made in|built in|produced in|year)")
    condition_first = normalised.str.match(r"^(in (poor|fair|good|new) condition|condition)")
    material_first = normalised.str.match(r"^(made of|made from|material)")
    assert year_first.sum() > 50 and condition_first.sum() > 50 and material_first.sum() > 50
    assert texts["text"].str.contains(r"[A-Z]").mean() > 0.2  # raw casing left to normalise
    assert 0.8 < texts["label"].mean() < 0.93  # about 13 % compliant by construction


def test_impossible_requests_are_refused():
    with pytest.raises(ValueError, match="n_texts"):
        generate_component_texts(n_texts=0, seed=1)
    with pytest.raises(ValueError, match="year_min"):
        generate_component_texts(n_texts=5, seed=1, year_min=2000, year_max=1990)
    with pytest.raises(ValueError, match="max_tokens"):
        generate_component_texts(n_texts=50, seed=1, max_tokens=4)
