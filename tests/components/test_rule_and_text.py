"""The compliance rule, reading its facts back from text, and text normalisation."""

from __future__ import annotations

import pytest

from mlops_lab.components.rule import (
    ComponentAttributes,
    compliance_label,
    read_attributes,
    violation_reasons,
)
from mlops_lab.components.text import normalise_text


@pytest.mark.parametrize(
    ("year", "condition", "material", "label"),
    [
        (1995, "good", "steel", 0),
        (1994, "good", "steel", 1),
        (2020, "new", "carbon fiber", 0),
        (2020, "fair", "carbon fiber", 1),
        (2020, "poor", "steel", 1),
        (2020, "good", "plastic", 1),
        (2020, "new", "iron", 1),
        (1980, "poor", "iron", 1),
    ],
)
def test_rule_on_its_boundaries(year, condition, material, label):
    assert compliance_label(year, condition, material) == label


def test_reasons_name_every_clause_that_applies():
    assert violation_reasons(1994, "fair", "iron") == "year < 1995; condition fair; material iron"
    assert violation_reasons(1995, "new", "steel") == "compliant"
    assert violation_reasons(None, "good", None) == "year unknown; material unknown"


def test_facts_are_read_back_from_text():
    assert read_attributes("a carbon fiber part made back in 2007 graded new") == (
        ComponentAttributes(2007, "new", "carbon fiber")
    )
    assert read_attributes("nothing useful here") == ComponentAttributes(None, None, None)


def test_normalisation_lowercases_and_strips_punctuation():
    assert normalise_text("Made of Carbon-Fiber,  in GOOD condition.") == (
        "made of carbon fiber in good condition"
    )
    assert normalise_text("  !! ") == ""
