"""Schema of the raw component-compliance file, checked at the pipeline boundary.

``text`` and ``label`` are the lab's columns. ``family`` (the note's template family) is
what the group split holds out, ``hard_case`` and ``fact_token`` (the word position of the
latest fact) are what the evaluation slices by; the simulator writes all five.
"""

from __future__ import annotations

import pandera.pandas as pa

RAW_TEXTS_SCHEMA = pa.DataFrameSchema(
    {
        "text": pa.Column(
            str,
            checks=pa.Check.str_matches(r"(?s).*[A-Za-z0-9]", error="text with a letter or digit"),
            nullable=False,
        ),
        "label": pa.Column(
            int,
            checks=pa.Check.isin([0, 1], error="label 0 (compliant) or 1 (non-compliant)"),
            nullable=False,
            coerce=True,
        ),
        "family": pa.Column(
            str,
            checks=pa.Check.str_matches(r"\S", error="a template family name"),
            nullable=False,
        ),
        "hard_case": pa.Column(str, nullable=False),
        "fact_token": pa.Column(
            int, checks=pa.Check.ge(0, error="a word position >= 0"), nullable=False, coerce=True
        ),
    },
    strict="filter",
)
