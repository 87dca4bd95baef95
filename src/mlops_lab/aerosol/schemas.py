"""pandera schemas of the raw aerosol files, checked at the pipeline boundary."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from mlops_lab.aerosol.grid import CHANNEL_PATTERN, METADATA_PATTERN

LABEL_DATE_FORMAT = "%d-%b-%Y"
LABEL_FLAG_COLUMNS = ("Type Ia", "Type Ib", "Type II", "Nonevent", "Undefined")
# Present in the lab's file (always 0 there); known, so not rejected as unknown columns.
LABEL_EXTRA_FLAG_COLUMNS = ("Type Apple", "Type Bump", "Type Rain", "Type Featureless")
TIME_COLUMNS = ("Year", "Month", "Day", "Hour", "Minute", "Second")


def _parses_as_date(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, format=LABEL_DATE_FORMAT, errors="coerce").notna()


def _flag_column(required: bool) -> pa.Column:
    return pa.Column(
        int,
        checks=pa.Check.isin([0, 1], error="a 0/1 flag"),
        coerce=True,
        nullable=False,
        required=required,
    )


LABELS_SCHEMA = pa.DataFrameSchema(
    {
        "Date": pa.Column(
            str,
            checks=pa.Check(_parses_as_date, error="a date like 02-Jan-2004 (%d-%b-%Y)"),
            nullable=False,
        ),
        **{name: _flag_column(required=True) for name in LABEL_FLAG_COLUMNS},
        **{name: _flag_column(required=False) for name in LABEL_EXTRA_FLAG_COLUMNS},
    },
    strict=True,
    unique=["Date"],
    name="event classification",
)


def _time_column(low: int, high: int) -> pa.Column:
    return pa.Column(
        int,
        checks=pa.Check.in_range(low, high, error=f"an integer in [{low}, {high}]"),
        coerce=True,
        nullable=False,
    )


DMPS_EXPORT_SCHEMA = pa.DataFrameSchema(
    {
        "Year": _time_column(1900, 2100),
        "Month": _time_column(1, 12),
        "Day": _time_column(1, 31),
        "Hour": _time_column(0, 23),
        "Minute": _time_column(0, 59),
        "Second": _time_column(0, 59),
        CHANNEL_PATTERN.pattern: pa.Column(float, coerce=True, nullable=True, regex=True),
        METADATA_PATTERN.pattern: pa.Column(
            float, coerce=True, nullable=True, regex=True, required=False
        ),
    },
    strict=True,
    name="SmartSMEAR DMPS export",
)
