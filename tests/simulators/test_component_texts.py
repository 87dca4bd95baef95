"""The note generator: deterministic, realistic, hard cases as asked, labelled by the rule."""

from __future__ import annotations

import dataclasses
import random
import re

import pytest

from mlops_lab.components.rule import (
    CONDITIONS,
    MATERIALS,
    VALUE_FORMS,
    ComponentAttributes,
    read_attributes,
)
from mlops_lab.components.text import normalise_text
from mlops_lab.simulators.component_phrases import (
    COMPOUNDS,
    CORRECTIONS,
    DENIALS_AFTER,
    NOUNS,
    SHORT_DENIALS,
)
from mlops_lab.simulators.component_texts import (
    COLUMNS,
    HARD_CASES,
    _unknown_clause,
    generate_component_texts,
    template_families,
)

# The first word of every written form of a value, as normalised.
VALUE_WORDS = {normalise_text(form).split()[0] for forms in VALUE_FORMS.values() for form in forms}
NO_FACT = ComponentAttributes(None, None, None)  # what the rule reads in text with no fact


@pytest.fixture(scope="module")
def notes():
    return generate_component_texts(n_texts=3000, seed=7)


def test_same_seed_same_notes_and_other_seed_other_notes(notes):
    again = generate_component_texts(n_texts=3000, seed=7)
    other = generate_component_texts(n_texts=3000, seed=8)
    assert again.equals(notes)
    assert (other["text"] != notes["text"]).mean() > 0.95
    assert list(notes.columns) == COLUMNS


def test_families_do_not_depend_on_the_data_seed():
    assert template_families(20) == template_families(20)
    assert len({f.name for f in template_families(300)}) == 300
    templates = {dataclasses.astuple(family)[1:] for family in template_families(300)}
    assert len(templates) == 300  # no two families write notes the same way


def test_fact_token_points_at_a_fact_value_and_facts_come_late_in_many_notes():
    notes = generate_component_texts(n_texts=3000, seed=7, fact_typo_rate=0.0)
    for text, position in zip(notes["text"], notes["fact_token"], strict=True):
        word = normalise_text(text).split()[position]
        assert word in VALUE_WORDS or re.fullmatch(r"(19|20)?\d\d", word), (text, position)
    assert (notes["fact_token"] >= 15).mean() > 0.25


def test_notes_are_long_noisy_and_within_max_words(notes):
    words = notes["text"].map(lambda text: len(normalise_text(text).split()))
    assert words.max() <= 40 and words.quantile(0.9) >= 25
    normalised = notes["text"].map(normalise_text)
    assert normalised.str.contains(r"\b(?:km|miles|mi)\b").mean() > 0.05  # mileage
    assert normalised.str.contains(r"\b(?:mfr|mfd|cond|mat l|matl)\b").mean() > 0.2  # abbreviations
    assert notes["text"].str.contains(r"[A-Z]").mean() > 0.3
    # Typos in irrelevant words: e.g. "vehile", "odrered" occur.
    assert normalised.str.contains(r"\b(?:vehile|vehcile|vehiicle|rattel|custmoer)\b").any()


def test_values_come_in_other_forms_and_misspelt_only_when_asked(notes):
    normalised = notes["text"].map(normalise_text)
    for shorthand in (r"carbon fibre", r"\bstl\b", r"\bgd\b", r"cast iron", r"\bcf\b"):
        assert normalised.str.contains(shorthand).any(), shorthand
    # A form is read back as its value: "c/f" is carbon fiber, "gd" is good.
    assert read_attributes(normalise_text("c/f bracket, gd, mfd 2011")).material == "carbon fiber"
    assert read_attributes(normalise_text("c/f bracket, gd, mfd 2011")).condition == "good"
    misspelt = r"\b(?:plastc|palstic|plasitc|stele|setel|condtion|conditon)\b"
    assert normalised.str.contains(misspelt).any()
    exact = generate_component_texts(n_texts=3000, seed=7, fact_typo_rate=0.0)
    assert not exact["text"].map(normalise_text).str.contains(misspelt).any()


def test_labels_follow_the_rule_and_the_shares_are_as_asked():
    balanced = generate_component_texts(4000, seed=3, non_compliant_share=0.2, hard_case_share=0.4)
    assert balanced["label"].mean() == pytest.approx(0.2, abs=0.03)
    hard = balanced["hard_case"].value_counts(normalize=True)
    assert hard["none"] == pytest.approx(0.6, abs=0.03)
    assert set(hard.index) == {"none", *HARD_CASES}
    plain = generate_component_texts(500, seed=3, hard_case_share=0.0)
    assert set(plain["hard_case"]) == {"none"}


def test_hard_cases_say_what_they_claim(notes):
    normalised = notes.assign(text=notes["text"].map(normalise_text))
    by_kind = {kind: frame for kind, frame in normalised.groupby("hard_case")}
    # Each negation note holds the words of a denial or correction around its value.
    denials = (*SHORT_DENIALS, *CORRECTIONS, *DENIALS_AFTER)
    words = {normalise_text(part) for denial in denials for part in denial.split("{}")}
    denial = "|".join(rf"\b{re.escape(part)}\b" for part in sorted(words) if part)
    assert by_kind["negation"]["text"].str.contains(denial).all()
    compound = "|".join(re.escape(normalise_text(c)) for c in COMPOUNDS)
    assert by_kind["compound"]["text"].str.contains(compound).all()
    raw = {kind: frame for kind, frame in notes.groupby("hard_case")}
    # Years as four digits or as '93 (read on the raw text: normalising drops the quote).
    years = raw["two_years"]["text"].str.findall(r"\b(?:19[6-9]\d|20[0-2]\d)\b|'\d\d\b")
    assert (years.map(lambda found: len(set(found))) >= 2).all()
    boundary_years = raw["boundary"]["text"].str.findall(r"\b199[3-6]\b|'9[3-6]\b")
    assert boundary_years.map(len).gt(0).all()
    # Boundary notes on the compliant side are all from 1995 or 1996.
    compliant = raw["boundary"][raw["boundary"]["label"] == 0]
    assert compliant["text"].str.contains(r"\b199[56]\b|'9[56]\b").all()


def test_all_values_occur(notes):
    normalised = " ".join(notes["text"].map(normalise_text))
    assert all(re.search(rf"\b{value}\b", normalised) for value in (*CONDITIONS, *MATERIALS))


def test_impossible_requests_are_refused():
    with pytest.raises(ValueError, match="n_texts"):
        generate_component_texts(n_texts=0, seed=1)
    with pytest.raises(ValueError, match="year_min"):
        generate_component_texts(n_texts=5, seed=1, year_min=2000, year_max=1990)
    with pytest.raises(ValueError, match="max_words"):
        generate_component_texts(n_texts=50, seed=1, max_words=4)
    with pytest.raises(ValueError, match="non_compliant_share"):
        generate_component_texts(n_texts=5, seed=1, non_compliant_share=1.5)
    with pytest.raises(ValueError, match="no year from 1995"):
        generate_component_texts(n_texts=50, seed=1, year_min=1960, year_max=1980)
    with pytest.raises(ValueError, match="n_families must be a whole number, got 'abc'"):
        generate_component_texts(n_texts=5, seed=1, n_families="abc")
    with pytest.raises(ValueError, match=r"max_words must be a whole number, got 2\.5"):
        generate_component_texts(n_texts=5, seed=1, max_words=2.5)


def test_made_up_words_add_wording_no_list_holds_and_never_a_value():
    def vocabulary(share: float) -> set[str]:
        notes = generate_component_texts(2000, seed=5, unknown_clause_share=share)
        return {word for text in notes["text"] for word in normalise_text(text).split()}

    assert len(vocabulary(1.0)) > len(vocabulary(0.0)) + 1000
    rng = random.Random(0)
    clauses = [_unknown_clause(rng) for _ in range(2000)]
    assert all(read_attributes(normalise_text(clause)) == NO_FACT for clause in clauses)


def test_many_families_give_bare_values_and_terse_ones_little_else():
    families = template_families(300)
    bare = [f for f in families if "{}" in (f.year, f.condition, f.material)]
    assert 0.3 < len(bare) / len(families) < 0.8
    assert any(f.terse for f in families)
    notes = generate_component_texts(3000, seed=7, hard_case_share=0.0, unknown_clause_share=0.0)
    words = notes["text"].map(lambda text: len(normalise_text(text).split()))
    assert words.min() <= 6  # "tow bar steel 2011 good"


def test_a_family_names_many_parts_and_no_part_name_states_a_fact():
    assert all(read_attributes(normalise_text(noun)) == NO_FACT for noun in NOUNS)
    notes = generate_component_texts(3000, seed=7, hard_case_share=0.0, unknown_clause_share=0.0)
    naming = [f.name for f in template_families(300) if f.names_part]
    one = notes[notes["family"].isin(naming)].groupby("family")["text"]
    # Part names vary note by note within a family, so a family's wording is its phrasing,
    # not one part: each family with a dozen notes names several parts.
    parts = one.apply(lambda texts: sum(any(n in t.lower() for t in texts) for n in NOUNS))
    assert (parts[one.size() >= 12] >= 5).all()
