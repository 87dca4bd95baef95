"""The lab's compliance rule and how to read its three facts back from a text.

A car component is **non-compliant** (label 1) when it was manufactured before 1995, or its
condition is fair or poor, or it is made of plastic or iron; otherwise it is compliant
(label 0). The simulator writes texts that state the three facts; ``read_attributes`` reads
them back from a (normalised) text so that error analysis can say *why* a text carries its
label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mlops_lab.components.text import normalise_text

YEAR_LIMIT = 1995
CONDITIONS = ("poor", "fair", "good", "new")
MATERIALS = ("plastic", "carbon fiber", "steel", "iron")
NON_COMPLIANT_CONDITIONS = frozenset({"poor", "fair"})
NON_COMPLIANT_MATERIALS = frozenset({"plastic", "iron"})

# How notes write each value: the canonical word first, then other spellings and workshop
# shorthand a reader still takes for that value. The simulator writes them; the keyword
# reader reads them.
VALUE_FORMS: dict[str, tuple[str, ...]] = {
    "plastic": ("plastic", "ABS plastic", "moulded plastic", "molded plastic", "plast."),
    "carbon fiber": (
        "carbon fiber",
        "carbon fibre",
        "carbon-fibre",
        "carbon-fiber",
        "CF",
        "c/f",
        "CFRP",
    ),
    "steel": ("steel", "stl", "stl.", "forged steel", "stainless steel", "pressed steel"),
    "iron": ("iron", "cast iron", "cast-iron", "ductile iron"),
    "poor": ("poor", "very poor", "pretty poor"),
    "fair": ("fair", "only fair", "just fair"),
    "good": ("good", "gd", "very good", "v. good", "gd."),
    "new": ("new", "brand new", "brand-new", "new, unused"),
}


def _value_pattern(values: tuple[str, ...]) -> tuple[re.Pattern[str], dict[str, str]]:
    """A regex matching any written form of ``values`` in a normalised text, and the map
    from each normalised form to its value (longest forms tried first)."""
    forms = {normalise_text(form): value for value in values for form in VALUE_FORMS[value]}
    alternatives = sorted(forms, key=len, reverse=True)
    pattern = r"\b(" + "|".join(a.replace(" ", r"\s+") for a in alternatives) + r")\b"
    return re.compile(pattern), forms


_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_CONDITION, _CONDITION_FORMS = _value_pattern(CONDITIONS)
_MATERIAL, _MATERIAL_FORMS = _value_pattern(MATERIALS)


@dataclass(frozen=True)
class ComponentAttributes:
    """The three facts a technician's text states about a component."""

    year: int | None
    condition: str | None
    material: str | None


def compliance_label(year: int, condition: str, material: str) -> int:
    """Apply the lab's rule: 1 (non-compliant) or 0 (compliant)."""
    return int(
        year < YEAR_LIMIT
        or condition in NON_COMPLIANT_CONDITIONS
        or material in NON_COMPLIANT_MATERIALS
    )


def violation_reasons(year: int | None, condition: str | None, material: str | None) -> str:
    """The rule's reasons for non-compliance, e.g. ``"year < 1995; material plastic"``.

    Returns ``"compliant"`` when no clause applies and names unreadable facts as
    ``"year unknown"`` etc., so that every row of an error table says something.
    """
    reasons = []
    if year is None:
        reasons.append("year unknown")
    elif year < YEAR_LIMIT:
        reasons.append(f"year < {YEAR_LIMIT}")
    if condition is None:
        reasons.append("condition unknown")
    elif condition in NON_COMPLIANT_CONDITIONS:
        reasons.append(f"condition {condition}")
    if material is None:
        reasons.append("material unknown")
    elif material in NON_COMPLIANT_MATERIALS:
        reasons.append(f"material {material}")
    return "; ".join(reasons) if reasons else "compliant"


def read_attributes(text: str) -> ComponentAttributes:
    """Read year, condition and material from a normalised text (first match of each).

    Any written form of a value counts (:data:`VALUE_FORMS`: "carbon fibre", "stl", "gd");
    misspelt values and two-digit years are not read.
    """
    year = _YEAR.search(text)
    condition = _CONDITION.search(text)
    material = _MATERIAL.search(text)
    return ComponentAttributes(
        year=int(year.group(1)) if year else None,
        condition=_CONDITION_FORMS[_squash(condition.group(1))] if condition else None,
        material=_MATERIAL_FORMS[_squash(material.group(1))] if material else None,
    )


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def read_label(text: str) -> int:
    """The rule applied to the facts a keyword reader finds in a normalised text.

    A reference for the models, not a model: it takes the first year, condition and
    material words it finds (:func:`read_attributes`), so negations, compounds such as
    "iron gray" and other years in the note fool it. A fact it cannot find makes the note
    non-compliant (compliance cannot be confirmed).
    """
    facts = read_attributes(text)
    if None in (facts.year, facts.condition, facts.material):
        return 1
    return compliance_label(facts.year, facts.condition, facts.material)
