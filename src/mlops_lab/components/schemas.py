"""Schema of the raw component-compliance file, checked at the pipeline boundary."""

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
    },
    strict="filter",
)
