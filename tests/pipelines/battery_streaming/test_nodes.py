"""Streaming pieces: validation reasons (Spark, static rows), windows and scoring (pandas),
the sink's commit log."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_lab.battery.generator import BAD_KINDS, land_files
from mlops_lab.battery.schema import TELEMETRY_COLUMNS
from mlops_lab.battery.streaming import (
    EPOCH,
    SOURCE_SCHEMA,
    Window,
    committed_files,
    quarantined_rows,
    score_new_days,
    valid_rows,
    with_rejection_reason,
)
from mlops_lab.battery.windows import day_features

EXPECTED_REASONS = {
    "unknown battery": "unknown battery 999999",
    "bad date": "bad Date '2019-02-30 00:00:00'",
    "NaN duration": "Daily_Trip_Duration is NaN",
    "negative duration": "Daily_Trip_Duration -12.5 is not non-negative",
    "extra column": "more columns than the raw format's 8",
}


def test_generator_continues_every_battery_and_mixes_in_each_bad_kind(
    series: pd.DataFrame, tmp_path: Path
) -> None:
    landed = land_files(series, tmp_path, days=10, bad_every=2, seed=1)
    assert [f.path.name for f in landed][:2] == ["telemetry_day00001.csv", "telemetry_day00002.csv"]
    assert [kind for f in landed for kind in f.bad_rows] == list(BAD_KINDS)
    first = pd.read_csv(landed[0].path)
    assert list(first.columns) == TELEMETRY_COLUMNS
    last_days = series.groupby("Battery_ID")["Date"].max()
    assert (
        pd.to_datetime(first["Date"]).to_numpy() == (last_days + pd.Timedelta(days=1)).to_numpy()
    ).all()
    assert not list(tmp_path.glob(".*"))  # no hidden half-written file left behind
    again = land_files(series, tmp_path / "again", days=4, bad_every=2, seed=1, skip_days=6)
    for one, other in zip(landed[6:], again, strict=True):
        assert one.path.read_text() == other.path.read_text()


def test_every_bad_row_gets_its_reason_and_valid_rows_are_typed(
    spark, series: pd.DataFrame, tmp_path: Path
) -> None:
    land_files(series, tmp_path, days=10, bad_every=2, seed=1)
    # A row with a missing value and one with a text number, by hand.
    (tmp_path / "telemetry_day00011.csv").write_text(
        ",".join(TELEMETRY_COLUMNS) + "\n"
        "2015-05-11 00:00:00,0,130,4,,0.1,10,200\n"
        "2015-05-11 00:00:00,4,110,4,55.0,lots,10,200\n"
    )
    raw = spark.read.schema(SOURCE_SCHEMA).option("header", True).csv(str(tmp_path))
    checked = with_rejection_reason(raw, [0, 4])
    quarantine = quarantined_rows(checked).toPandas()
    assert sorted(quarantine["reason"]) == sorted(
        [
            *EXPECTED_REASONS.values(),
            "missing Daily_Trip_Duration",
            "Daily_Cycles_Used 'lots' is not a number",
        ]
    )
    assert quarantine["source_file"].str.endswith(".csv").all()
    valid = valid_rows(checked).toPandas()
    assert len(valid) == 10 * 2
    assert valid["Daily_Trip_Duration"].dtype == np.float64
    assert str(valid["Date"].iloc[0]) >= "2015-04-11"


def test_window_moves_on_and_fills_a_gap() -> None:
    window = Window((10, 11, 12), (1.0, 2.0, 3.0), (50.0, 60.0, 70.0))
    moved = window.advanced(15, 6.0, 100.0, length=4)
    assert moved.days == (12, 13, 14, 15)
    np.testing.assert_allclose(moved.cycles, [3.0, 4.0, 5.0, 6.0])
    np.testing.assert_allclose(moved.durations, [70.0, 80.0, 90.0, 100.0])
    records = moved.records(7)
    assert records["Date"].iloc[0] == EPOCH + pd.Timedelta(days=12)
    np.testing.assert_allclose(moved.features(), day_features(records), rtol=1e-6)


def test_each_new_day_is_scored_from_its_own_window(series: pd.DataFrame, tiny_lstm) -> None:
    battery = series[series["Battery_ID"] == 0]
    start = Window.from_history(battery.iloc[:-3], tiny_lstm.window)
    new = battery.iloc[-3:].assign(source_file="f.csv")
    window, scored = score_new_days(tiny_lstm, 0, start, new)
    assert scored["Date"].tolist() == [d.date() for d in battery["Date"].iloc[-3:]]
    assert window == Window.from_history(battery, tiny_lstm.window)
    # The forecast of the last new day is the model's forecast from the whole history.
    direct = tiny_lstm.forecast(
        battery[["Date", "Battery_ID", "Daily_Trip_Duration", "Daily_Cycles_Used"]]
    )
    np.testing.assert_allclose(scored["forecast"].iloc[-1], direct["forecast"], rtol=1e-5)
    assert (
        scored["forecast_start"].iloc[0] == (battery["Date"].iloc[-3] + pd.Timedelta(days=1)).date()
    )
    # A repeated day is not scored again.
    again_window, again = score_new_days(tiny_lstm, 0, window, new.tail(1))
    assert again.empty and again_window == window


def test_committed_files_follow_the_log_and_its_compaction(tmp_path: Path) -> None:
    log = tmp_path / "_spark_metadata"
    log.mkdir()

    def entry(name: str, action: str = "add") -> str:
        return json.dumps({"path": f"file://{tmp_path}/{name}", "action": action})

    (log / "9.compact").write_text("\n".join(["v1", entry("a.parquet"), entry("b.parquet")]))
    (log / "10").write_text("\n".join(["v1", entry("c.parquet")]))
    (log / "3").write_text("\n".join(["v1", entry("old.parquet")]))  # before the compaction
    (tmp_path / "uncommitted.parquet").write_bytes(b"")
    assert sorted(p.name for p in committed_files(tmp_path)) == [
        "a.parquet",
        "b.parquet",
        "c.parquet",
    ]
    assert committed_files(tmp_path / "missing") == []


@pytest.mark.parametrize("trigger", ["sometimes"])
def test_a_sink_refuses_an_unknown_trigger(trigger: str) -> None:
    from mlops_lab.battery.spark import StreamingQueryDataset

    with pytest.raises(ValueError, match="trigger must be one of"):
        StreamingQueryDataset(filepath="x", checkpoint="y", trigger=trigger)
