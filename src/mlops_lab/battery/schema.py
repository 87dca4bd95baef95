"""Column names and the pandera schemas of the battery telemetry at each boundary."""

from __future__ import annotations

import pandera.pandas as pa

DATE = "Date"
BATTERY_ID = "Battery_ID"
AGE = "Battery_Age_Days"
TRIPS = "Number_Of_Trips"
DURATION = "Daily_Trip_Duration"
CYCLES = "Daily_Cycles_Used"
LIFETIME = "Lifetime_Cycles_Used"
RATED = "Battery_Rated_Cycles"
INTERPOLATED = "Is_Interpolated"

TELEMETRY_COLUMNS = [DATE, BATTERY_ID, AGE, TRIPS, DURATION, CYCLES, LIFETIME, RATED]
"""Columns of the raw telemetry and of the lab's cleaned daily file, in this order."""

DAILY_COLUMNS = [*TELEMETRY_COLUMNS, INTERPOLATED]
"""Columns of the registered ``daily_battery_time_series``."""

_non_negative = pa.Check.ge(0)

TELEMETRY_SCHEMA = pa.DataFrameSchema(
    {
        DATE: pa.Column("datetime64[ns]", coerce=True, nullable=False),
        BATTERY_ID: pa.Column(int, _non_negative, coerce=True, nullable=False),
        AGE: pa.Column(float, _non_negative, coerce=True, nullable=False),
        TRIPS: pa.Column(float, _non_negative, coerce=True, nullable=False),
        DURATION: pa.Column(float, _non_negative, coerce=True, nullable=False),
        CYCLES: pa.Column(float, _non_negative, coerce=True, nullable=False),
        LIFETIME: pa.Column(float, _non_negative, coerce=True, nullable=False),
        RATED: pa.Column(float, pa.Check.gt(0), coerce=True, nullable=False),
    },
    strict="filter",
    name="battery telemetry",
)
"""Raw telemetry (12-hour or daily entries) and the lab's cleaned daily series.

Extra columns (such as the unnamed index column of the lab's file) are dropped.
"""
