"""Schemas of the raw component-compliance files, checked at the pipeline boundary.

Generated notes (``component_texts.csv``): ``text`` and ``label`` are the lab's columns.
``family`` (the note's template family) is what the group split holds out, ``hard_case``
and ``fact_token`` (the word position of the latest fact) are what the evaluation slices
by; the simulator writes all five.

Hand-written notes (``independent_notes.csv``): ``text``, the ``label`` given by the
person who wrote the note, and ``kind`` (what makes the note hard, as the writer saw it).
"""

from __future__ import annotations

import pandera.pandas as pa


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
