"""The check that matters: cleaning the raw file simulated from the real series gives the
real series back (same dates; equal values except on the days removed and interpolated)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_lab.pipelines.battery_data.nodes import (
    combine_raw_telemetry,
    drop_duplicate_timestamps,
    fill_missing_days,
    regularise_to_daily,
)
from mlops_lab.pipelines.battery_simulation.nodes import (
    simulate_raw_fleet,
    simulate_raw_from_real,
    validate_real_series,
)

REAL_FILE = (
    Path(__file__).resolve().parents[3] / "data/01_raw/battery/daily-battery-time-series.csv"
)
RAW_SHAPE = {
    "half_days_until": "2014-12-31",
    "duplicate_fraction": 0.02,
    "gap_fraction": 0.02,
    "max_gap_days": 3,
}
DAILY_COLUMNS = [
    "Battery_Age_Days",
    "Number_Of_Trips",
    "Daily_Trip_Duration",
    "Daily_Cycles_Used",
    "Battery_Rated_Cycles",
]


def round_trip(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(real series, battery 0 as cleaned by battery_data from the simulated raw file)."""
    real = validate_real_series(pd.read_csv(REAL_FILE, index_col=0))
    raw_real = simulate_raw_from_real(real, seed, RAW_SHAPE)
    raw_fleet = simulate_raw_fleet(
        real, seed, RAW_SHAPE, {"n_batteries": 1, "rated_cycles_choices": [20.0]}
    )
    combined = combine_raw_telemetry(raw_real, raw_fleet)
    series = fill_missing_days(regularise_to_daily(drop_duplicate_timestamps(combined)))
    return real, series[series["Battery_ID"] == 0].reset_index(drop=True)


@pytest.mark.parametrize("seed", [42, 7])
def test_cleaning_the_simulated_raw_file_gives_the_real_series_back(seed: int) -> None:
    real, cleaned = round_trip(seed)

    pd.testing.assert_series_equal(cleaned["Date"], real["Date"])
    kept = ~cleaned["Is_Interpolated"]
    assert 0 < (~kept).sum() < 0.05 * len(real)  # some days were removed, not many
    for column in DAILY_COLUMNS:
        np.testing.assert_allclose(
            cleaned.loc[kept, column], real.loc[kept, column], rtol=1e-9, err_msg=column
        )
    # Lifetime cycles only drift by the interpolation error of the removed days.
    lifetime_error = np.abs(cleaned["Lifetime_Cycles_Used"] - real["Lifetime_Cycles_Used"])
    interpolation_error = np.abs(cleaned["Daily_Cycles_Used"] - real["Daily_Cycles_Used"])[
        ~kept
    ].sum()
    assert lifetime_error.max() <= interpolation_error + 1e-9
    # Interpolated days are plausible: within the range of the real series.
    assert (
        cleaned.loc[~kept, "Daily_Cycles_Used"]
        .between(real["Daily_Cycles_Used"].min(), real["Daily_Cycles_Used"].max())
        .all()
    )
