"""The battery telemetry simulator: raw shape, injected faults, fleet structure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.simulators.battery_telemetry import (
    Calibration,
    FleetSettings,
    calibrate,
    inject_duplicates_and_gaps,
    raw_from_daily,
    simulate_fleet_daily,
)

CALIBRATION = Calibration(
    mean_duration=57.75,
    duration_cv=0.085,
    mean_trips=5.0,
    cycles_per_minute=0.00246,
    rated_cycles=200.0,
)


def _daily(days: int, start: str = "2014-12-20") -> pd.DataFrame:
    duration = np.linspace(50.0, 60.0, days)
    return pd.DataFrame(
        {
            "Date": pd.date_range(start, periods=days, freq="D"),
            "Battery_ID": 0,
            "Battery_Age_Days": np.arange(days, dtype=float),
            "Number_Of_Trips": 5.0,
            "Daily_Trip_Duration": duration,
            "Daily_Cycles_Used": duration * 0.00246,
            "Lifetime_Cycles_Used": np.cumsum(duration * 0.00246),
            "Battery_Rated_Cycles": 200.0,
        }
    )


def test_raw_from_daily_splits_days_until_the_switch_and_sums_back() -> None:
    daily = _daily(20)  # 2014-12-20 .. 2015-01-08: 12 split days, 8 daily entries
    raw = raw_from_daily(daily, "2014-12-31", np.random.default_rng(0))

    assert len(raw) == 12 * 2 + 8
    assert set(raw["Date"].dt.hour[raw["Date"] <= "2014-12-31 12:00"]) == {0, 12}
    assert set(raw["Date"].dt.hour[raw["Date"] >= "2015-01-01"]) == {0}
    back = raw.groupby(raw["Date"].dt.normalize()).agg(
        trips=("Number_Of_Trips", "sum"),
        duration=("Daily_Trip_Duration", "sum"),
        cycles=("Daily_Cycles_Used", "sum"),
        age=("Battery_Age_Days", "min"),
    )
    np.testing.assert_allclose(back["duration"], daily["Daily_Trip_Duration"], rtol=1e-12)
    np.testing.assert_allclose(back["cycles"], daily["Daily_Cycles_Used"], rtol=1e-12)
    np.testing.assert_array_equal(back["trips"], 5.0)
    np.testing.assert_array_equal(back["age"], daily["Battery_Age_Days"])
    # Cycles stay proportional to duration within each 12-hour entry.
    np.testing.assert_allclose(raw["Daily_Cycles_Used"] / raw["Daily_Trip_Duration"], 0.00246)
    np.testing.assert_allclose(
        raw["Lifetime_Cycles_Used"].iloc[-1], daily["Lifetime_Cycles_Used"].iloc[-1]
    )


def test_inject_duplicates_and_gaps_removes_whole_days_and_repeats_entries() -> None:
    raw = raw_from_daily(_daily(400, start="2014-01-01"), "2014-12-31", np.random.default_rng(0))
    faulty = inject_duplicates_and_gaps(raw, 0.05, 0.05, 3, np.random.default_rng(1))

    days_before = raw["Date"].dt.normalize().nunique()
    days_after = faulty["Date"].dt.normalize().nunique()
    assert 0.02 * days_before < days_before - days_after < 0.1 * days_before
    # A removed day loses all its entries: every remaining 2014 day still has two.
    per_day = faulty.drop_duplicates().groupby(faulty["Date"].dt.normalize()).size()
    assert (per_day[per_day.index <= "2014-12-31"] == 2).all()
    duplicated = faulty.duplicated(subset=["Battery_ID", "Date"]).sum()
    assert 0.02 * len(faulty) < duplicated < 0.1 * len(faulty)
    # First and last days are never removed.
    assert faulty["Date"].min() == raw["Date"].min()
    assert faulty["Date"].max() == raw["Date"].max()


def test_fleet_is_reproducible_and_each_battery_ends_near_its_rated_cycles() -> None:
    settings = FleetSettings(n_batteries=4)
    first = simulate_fleet_daily(CALIBRATION, settings, np.random.default_rng(7))
    again = simulate_fleet_daily(CALIBRATION, settings, np.random.default_rng(7))
    pd.testing.assert_frame_equal(first, again)

    assert sorted(first["Battery_ID"].unique()) == [1, 2, 3, 4]
    last = first.groupby("Battery_ID").last()
    ratio = last["Lifetime_Cycles_Used"] / last["Battery_Rated_Cycles"]
    assert ratio.between(1.0, 1.09).all()
    assert set(last["Battery_Rated_Cycles"]) <= set(settings.rated_cycles_choices)
    assert first.groupby("Battery_ID")["Date"].min().nunique() == 4  # own start dates


def test_fleet_has_weekly_ageing_and_seasonal_structure() -> None:
    settings = FleetSettings(n_batteries=1, commuter_share=1.0, trend_sigma_per_year=0.0)
    fleet = simulate_fleet_daily(CALIBRATION, settings, np.random.default_rng(3))
    weekend = fleet["Date"].dt.dayofweek >= 5
    ratio = (
        fleet.loc[weekend, "Daily_Trip_Duration"].mean()
        / fleet.loc[~weekend, "Daily_Trip_Duration"].mean()
    )
    assert ratio == pytest.approx(0.65 / 1.15, rel=0.1)
    rate = fleet["Daily_Cycles_Used"] / fleet["Daily_Trip_Duration"]
    wear = fleet["Lifetime_Cycles_Used"] / fleet["Battery_Rated_Cycles"]
    assert rate[wear > 0.8].mean() > 1.3 * rate[wear < 0.2].mean()  # ageing
    winter = fleet["Date"].dt.month.isin([12, 1, 2])
    summer = fleet["Date"].dt.month.isin([6, 7, 8])
    assert (
        fleet.loc[summer, "Daily_Trip_Duration"].mean()
        > fleet.loc[winter, "Daily_Trip_Duration"].mean()
    )


def test_calibrate_reads_the_real_series_figures() -> None:
    calibration = calibrate(_daily(30))
    assert calibration.cycles_per_minute == pytest.approx(0.00246)
    assert calibration.mean_trips == 5.0
    assert calibration.mean_duration == pytest.approx(55.0)
    assert calibration.rated_cycles == 200.0
