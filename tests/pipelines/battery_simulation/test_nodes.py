"""Nodes of battery_simulation: boundary validation of the real file, raw telemetry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mlops_lab.pipelines.battery_simulation.nodes import (
    simulate_raw_fleet,
    simulate_raw_from_real,
    validate_real_series,
)
from mlops_lab.validation import InputValidationError

REAL_FILE = (
    Path(__file__).resolve().parents[3] / "data/01_raw/battery/daily-battery-time-series.csv"
)
RAW_SHAPE = {
    "half_days_until": "2014-12-31",
    "duplicate_fraction": 0.02,
    "gap_fraction": 0.02,
    "max_gap_days": 3,
}
FLEET = {
    "n_batteries": 2,
    "rated_cycles_choices": [40.0],
    "first_start": "2014-06-01",
    "last_start": "2015-06-01",
}


@pytest.fixture(scope="module")
def real_file() -> pd.DataFrame:
    return pd.read_csv(REAL_FILE, index_col=0)


def test_validate_real_series_types_the_lab_file(real_file: pd.DataFrame) -> None:
    real = validate_real_series(real_file)
    assert len(real) == 1539
    assert real["Date"].min() == pd.Timestamp("2013-01-01")
    assert real["Date"].max() == pd.Timestamp("2017-03-19")
    assert str(real["Date"].dtype).startswith("datetime64")


def test_validate_real_series_names_a_missing_column(real_file: pd.DataFrame) -> None:
    with pytest.raises(
        InputValidationError, match=r"(?s)battery_real_daily.*Daily_Cycles_Used.*missing"
    ):
        validate_real_series(real_file.drop(columns="Daily_Cycles_Used"))


def test_validate_real_series_names_the_row_of_a_bad_value(real_file: pd.DataFrame) -> None:
    bad = real_file.copy()
    bad.loc[17, "Daily_Trip_Duration"] = -3.0
    with pytest.raises(InputValidationError, match=r"'Daily_Trip_Duration'.*rows \[17\]"):
        validate_real_series(bad)


def test_validate_real_series_names_an_unparseable_date(real_file: pd.DataFrame) -> None:
    bad = real_file.copy()
    bad["Date"] = bad["Date"].astype(object)
    bad.loc[5, "Date"] = "not a date"
    with pytest.raises(InputValidationError, match=r"'Date'.*5"):
        validate_real_series(bad)


def test_validate_real_series_requires_one_row_per_day(real_file: pd.DataFrame) -> None:
    with pytest.raises(InputValidationError, match=r"'Date', row 11: expected one row per day"):
        validate_real_series(real_file.drop(index=10))


def test_simulate_raw_from_real_is_seeded_and_has_the_lab_shape(real_file: pd.DataFrame) -> None:
    real = validate_real_series(real_file)
    raw = simulate_raw_from_real(real, 42, RAW_SHAPE)
    pd.testing.assert_frame_equal(raw, simulate_raw_from_real(real, 42, RAW_SHAPE))
    assert not raw.equals(simulate_raw_from_real(real, 43, RAW_SHAPE))
    assert (raw["Date"].dt.hour == 12).sum() > 600  # 2013-2014 are 12-hour entries
    assert (raw.loc[raw["Date"] >= "2015-01-01", "Date"].dt.hour == 0).all()
    assert raw.duplicated(subset=["Battery_ID", "Date"]).sum() > 10


def test_simulate_raw_fleet_numbers_batteries_after_the_real_one(real_file: pd.DataFrame) -> None:
    real = validate_real_series(real_file)
    fleet = simulate_raw_fleet(real, 42, RAW_SHAPE, FLEET)
    assert sorted(fleet["Battery_ID"].unique()) == [1, 2]
    assert (fleet["Battery_Rated_Cycles"] == 40.0).all()
