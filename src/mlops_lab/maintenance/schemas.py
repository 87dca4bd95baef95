"""Schema of the raw car-maintenance file (Microsoft "AI in a day" lab)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

TARGET_RAW = "has-issue-in-first-10k"


def _visit_not_before_purchase(df: pd.DataFrame) -> pd.Series:
    bought = pd.to_datetime(df["date-bought-car"], errors="coerce")
    visited = pd.to_datetime(df["date-of-visit"], errors="coerce")
    return ~(visited < bought)


def _year_matches_date(year_column: str, date_column: str):
    def check(df: pd.DataFrame) -> pd.Series:
        dates = pd.to_datetime(df[date_column], errors="coerce")
        return dates.isna() | (dates.dt.year == df[year_column])

    return check


RAW_MAINTENANCE_SCHEMA = pa.DataFrameSchema(
    {
        "gender": pa.Column(str, pa.Check.isin(["Female", "Male"]), nullable=False),
        "first-name": pa.Column(str, nullable=True, required=False),
        "last-name": pa.Column(str, nullable=True, required=False),
        "date-bought-car": pa.Column("datetime64[ns]", coerce=True, nullable=False),
        "year-bought-car": pa.Column(int, pa.Check.in_range(1900, 2100), coerce=True),
        "car-make": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "engine-type": pa.Column(str, pa.Check.str_length(min_value=1), nullable=False),
        "year-of-visit": pa.Column(int, pa.Check.in_range(1900, 2100), coerce=True),
        "date-of-visit": pa.Column("datetime64[ns]", coerce=True, nullable=False),
        "car-age-in-years": pa.Column(int, pa.Check.ge(0), coerce=True),
        "car-miles": pa.Column(int, pa.Check.ge(0), coerce=True),
        "car-age-in-months": pa.Column(int, pa.Check.ge(0), coerce=True),
        # No dtype coercion here: casting the text "maybe" to bool would give True.
        TARGET_RAW: pa.Column(
            checks=pa.Check.isin([True, False], error="True or False"), nullable=False
        ),
    },
    checks=[
        pa.Check(_visit_not_before_purchase, error="date-of-visit not before date-bought-car"),
        pa.Check(
            _year_matches_date("year-bought-car", "date-bought-car"),
            error="year-bought-car equal to the year of date-bought-car",
        ),
        pa.Check(
            _year_matches_date("year-of-visit", "date-of-visit"),
            error="year-of-visit equal to the year of date-of-visit",
        ),
    ],
    strict=False,
)
