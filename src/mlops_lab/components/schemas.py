"""Schemas of the raw component-compliance files, checked at the pipeline boundary.

Generated notes (``component_texts.csv``): ``text`` and ``label`` are the lab's columns.
``family`` (the note's template family) is what the group split holds out, ``hard_case``
and ``fact_token`` (the word position of the latest fact) are what the evaluation slices
by; the simulator writes all five.

Hand-written development notes (``independent_notes.csv``): ``text``, the ``label`` given
by the person who wrote the note, and ``kind`` (what makes the note hard, as the writer saw
it). They were read while the simulator was widened, so their figures are optimistic.

Sealed hand-written notes (``sealed_notes.csv`` and ``sealed_notes_2.csv``): ``text``, the
three facts the writer recorded for each note (``year`` of manufacture, ``condition``,
``material``), the ``label`` computed from them by the lab's rule and ``kind``. The
table-level check refuses a row whose label is not
:func:`mlops_lab.components.rule.compliance_label` of its facts, so the label of a sealed
note can only change with its facts.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from mlops_lab.components.rule import CONDITIONS, MATERIALS, compliance_label


def _text() -> pa.Column:
    return pa.Column(
        str,
        checks=pa.Check.str_matches(r"(?s).*[A-Za-z0-9]", error="text with a letter or digit"),
        nullable=False,
    )


def _label() -> pa.Column:
    return pa.Column(
        int,
        checks=pa.Check.isin([0, 1], error="label 0 (compliant) or 1 (non-compliant)"),
        nullable=False,
        coerce=True,
    )


def _name(what: str) -> pa.Column:
    return pa.Column(str, checks=pa.Check.str_matches(r"\S", error=what), nullable=False)


RAW_TEXTS_SCHEMA = pa.DataFrameSchema(
    {
        "text": _text(),
        "label": _label(),
        "family": _name("a template family name"),
        "hard_case": pa.Column(str, nullable=False),
        "fact_token": pa.Column(
            int, checks=pa.Check.ge(0, error="a word position >= 0"), nullable=False, coerce=True
        ),
    },
    strict="filter",
)

INDEPENDENT_NOTES_SCHEMA = pa.DataFrameSchema(
    {
        "text": _text(),
        "label": _label(),
        "kind": _name("a kind of note (none, negation, ...)"),
    },
    strict="filter",
)


def _labels_follow_the_rule(notes: pd.DataFrame) -> pd.Series:
    """Per row, whether ``label`` is the rule's label of ``year``, ``condition`` and
    ``material``. A row whose facts fail their own column checks passes here: those checks
    name it already, and the rule cannot be applied to it."""
    years = pd.to_numeric(notes["year"], errors="coerce")
    labels = pd.to_numeric(notes["label"], errors="coerce")
    facts_valid = (
        years.notna()
        & notes["condition"].isin(CONDITIONS)
        & notes["material"].isin(MATERIALS)
        & labels.isin([0, 1])
    )
    expected = pd.Series(
        [
            compliance_label(int(year), condition, material) if valid else -1
            for year, condition, material, valid in zip(
                years, notes["condition"], notes["material"], facts_valid, strict=True
            )
        ],
        index=notes.index,
    )
    return (~facts_valid) | (labels == expected)


SEALED_NOTES_SCHEMA = pa.DataFrameSchema(
    {
        "text": _text(),
        "year": pa.Column(
            int,
            checks=pa.Check.in_range(1900, 2100, error="a manufacture year 1900-2100"),
            nullable=False,
            coerce=True,
        ),
        "condition": pa.Column(
            str,
            checks=pa.Check.isin(CONDITIONS, error=f"a condition, one of {list(CONDITIONS)}"),
            nullable=False,
        ),
        "material": pa.Column(
            str,
            checks=pa.Check.isin(MATERIALS, error=f"a material, one of {list(MATERIALS)}"),
            nullable=False,
        ),
        "label": _label(),
        "kind": _name("a kind of note (none, negation, ...)"),
    },
    checks=[
        pa.Check(
            _labels_follow_the_rule,
            error="label equal to the lab's rule applied to year, condition and material",
        )
    ],
    strict="filter",
)
