"""Nodes of battery_data on small hand-made telemetry, including bad inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_lab.pipelines.battery_data.nodes import (
    combine_raw_telemetry,
    drop_duplicate_timestamps,
    fill_missing_days,
    plot_daily_cycles,
    regularise_to_daily,
    report_preparation,
)
from mlops_lab.validation import InputValidationError

SOURCES = {
    "real": "01_raw/battery/battery_raw_telemetry_real",
    "fleet": "01_raw/battery/battery_raw_telemetry_fleet",
}


def _raw(battery_id: int, days: int, duplicate_day: int | None = None) -> pd.DataFrame:
    dates = (
        pd.date_range("2015-03-01", periods=days, freq="D").strftime("%Y-%m-%d %H:%M:%S").tolist()
    )
    frame = pd.DataFrame(
        {
            "Date": dates,
            "Battery_ID": battery_id,
            "Battery_Age_Days": range(days),
            "Number_Of_Trips": 5,
            "Daily_Trip_Duration": [50.0 + day for day in range(days)],
            "Daily_Cycles_Used": [0.1 + day / 100 for day in range(days)],
            "Lifetime_Cycles_Used": 0.0,
            "Battery_Rated_Cycles": 200.0,
        }
    )
    if duplicate_day is not None:
        frame = pd.concat([frame, frame.iloc[[duplicate_day]]], ignore_index=True)
    return frame


def test_combine_raw_telemetry_stacks_and_types_both_files() -> None:
    combined = combine_raw_telemetry(_raw(0, 4), _raw(1, 3))
    assert combined["Battery_ID"].tolist() == [0, 0, 0, 0, 1, 1, 1]
    assert str(combined["Date"].dtype).startswith("datetime64")


def test_combine_raw_telemetry_names_file_column_and_row_of_a_bad_value() -> None:
    fleet = _raw(1, 5)
    fleet.loc[3, "Daily_Cycles_Used"] = "n/a"
    with pytest.raises(
        InputValidationError, match=r"(?s)battery_raw_telemetry_fleet.*'Daily_Cycles_Used'.*\[3\]"
    ):
        combine_raw_telemetry(_raw(0, 4), fleet)


def test_combine_raw_telemetry_names_a_missing_column_of_the_real_file() -> None:
    with pytest.raises(
        InputValidationError, match=r"(?s)battery_raw_telemetry_real.*'Battery_ID': missing"
    ):
        combine_raw_telemetry(_raw(0, 4).drop(columns="Battery_ID"), _raw(1, 3))


def test_combine_raw_telemetry_refuses_a_battery_in_both_files() -> None:
    with pytest.raises(
        InputValidationError, match=r"battery_raw_telemetry_fleet: column 'Battery_ID', row 0"
    ):
        combine_raw_telemetry(_raw(0, 4), _raw(0, 3))


def test_steps_and_report_count_rows_per_battery() -> None:
    fleet = _raw(1, 6, duplicate_day=2).drop(index=[3, 4])  # two missing days, one duplicate
    combined = combine_raw_telemetry(_raw(0, 4, duplicate_day=0), fleet)
    deduplicated = drop_duplicate_timestamps(combined)
    series = fill_missing_days(regularise_to_daily(deduplicated))

    report, totals = report_preparation(combined, deduplicated, series)

    assert report.set_index("Battery_ID")[
        ["raw_entries", "duplicates_removed", "days", "days_filled"]
    ].to_dict("index") == {
        0: {"raw_entries": 5, "duplicates_removed": 1, "days": 4, "days_filled": 0},
        1: {"raw_entries": 5, "duplicates_removed": 1, "days": 6, "days_filled": 2},
    }
    assert totals == {
        "batteries": 2,
        "raw_entries": 10,
        "duplicates_removed": 2,
        "entries_after_deduplication": 8,
        "days": 10,
        "days_filled": 2,
    }
    filled = series[series["Battery_ID"] == 1]
    assert filled["Daily_Trip_Duration"].tolist() == [50.0, 51.0, 52.0, 53.0, 54.0, 55.0]


def test_plot_daily_cycles_draws_one_panel_per_battery() -> None:
    series = fill_missing_days(regularise_to_daily(combine_raw_telemetry(_raw(0, 4), _raw(1, 3))))
    figure = plot_daily_cycles(series, columns=4)
    assert [ax.get_title() for ax in figure.axes if ax.get_visible()] == ["battery 0", "battery 1"]
    cycles, filled = figure.axes[1].get_lines()[:2]
    assert (
        list(cycles.get_ydata())
        == series.loc[series["Battery_ID"] == 1, "Daily_Cycles_Used"].tolist()
    )
    assert len(filled.get_ydata()) == int(
        series.loc[series["Battery_ID"] == 1, "Is_Interpolated"].sum()
    )
