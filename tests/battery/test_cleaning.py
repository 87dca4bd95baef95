"""The lab's regularisation rules on hand-made telemetry."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_lab.battery.cleaning import (
    drop_duplicate_timestamps,
    fill_missing_days,
    regularise_to_daily,
)


def _entries() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Date": pd.to_datetime(
                [
                    "2014-12-30 00:00",
                    "2014-12-30 12:00",
                    "2014-12-30 12:00",  # duplicate timestamp (a different value: first kept)
                    "2014-12-31 00:00",
                    "2014-12-31 12:00",
                    # 2015-01-01 and 2015-01-02 missing
                    "2015-01-03 00:00",
                ]
            ),
            "Battery_ID": 3,
            "Battery_Age_Days": [10.0, 10.5, 10.5, 11.0, 11.5, 14.0],
            "Number_Of_Trips": [2.0, 3.0, 9.0, 1.0, 4.0, 6.0],
            "Daily_Trip_Duration": [20.0, 30.0, 99.0, 10.0, 40.0, 80.0],
            "Daily_Cycles_Used": [0.05, 0.07, 0.9, 0.02, 0.1, 0.21],
            "Lifetime_Cycles_Used": 0.0,
            "Battery_Rated_Cycles": [200.0, 190.0, 190.0, 200.0, 200.0, 200.0],
        }
    )


def test_drop_duplicate_timestamps_keeps_the_first_entry() -> None:
    entries = _entries()
    deduplicated = drop_duplicate_timestamps(entries)
    assert len(deduplicated) == 5
    assert deduplicated["Daily_Trip_Duration"].tolist() == [20.0, 30.0, 10.0, 40.0, 80.0]
    assert len(entries) == 6  # input untouched


def test_regularise_to_daily_applies_the_lab_rules_and_leaves_gaps_empty() -> None:
    daily = regularise_to_daily(drop_duplicate_timestamps(_entries()))
    assert daily["Date"].dt.strftime("%m-%d").tolist() == [
        "12-30",
        "12-31",
        "01-01",
        "01-02",
        "01-03",
    ]
    first = daily.iloc[0]
    assert first["Battery_Age_Days"] == 10.0  # minimum
    assert first["Battery_Rated_Cycles"] == 190.0  # minimum
    assert first["Number_Of_Trips"] == 5.0  # sum
    assert first["Daily_Trip_Duration"] == 50.0  # sum
    assert np.isclose(first["Daily_Cycles_Used"], 0.12)  # sum
    assert daily.iloc[2:4]["Daily_Cycles_Used"].isna().all()
    assert (daily["Battery_ID"] == 3).all()


def test_fill_missing_days_interpolates_in_time_and_recomputes_lifetime() -> None:
    filled = fill_missing_days(regularise_to_daily(drop_duplicate_timestamps(_entries())))
    assert filled["Is_Interpolated"].tolist() == [False, False, True, True, False]
    # Linear in time between 12-31 (50 min, age 11) and 01-03 (80 min, age 14).
    np.testing.assert_allclose(filled["Daily_Trip_Duration"], [50.0, 50.0, 60.0, 70.0, 80.0])
    np.testing.assert_allclose(filled["Battery_Age_Days"], [10.0, 11.0, 12.0, 13.0, 14.0])
    np.testing.assert_allclose(
        filled["Lifetime_Cycles_Used"], np.cumsum(filled["Daily_Cycles_Used"])
    )
    assert filled["Number_Of_Trips"].tolist() == [5.0, 5.0, 5.0, 6.0, 6.0]
