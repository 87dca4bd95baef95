"""The shared aerosol preprocessing (mlops_lab.aerosol): formats, grid mapping, cleaning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.aerosol.grid import channel_diameter_nm, channel_name, map_to_grid
from mlops_lab.aerosol.labels import label_schemes, parse_labels
from mlops_lab.aerosol.preprocessing import (
    PreprocessingConfig,
    _fill_gaps_in_time,
    assess_days,
    clean_cube,
    clean_days,
    day_cube,
    prepare_export,
    scale_cube,
    sizes_on_grid,
    split_export,
)
from mlops_lab.validation import InputValidationError

CONFIG = PreprocessingConfig(d_min_nm=3.0, d_max_nm=1000.0, n_channels=8)


def export(rows: int = 3, start: str = "2005-04-01") -> pd.DataFrame:
    """A tiny export: channels out of order, metadata columns, 10-minute steps."""
    time = pd.date_range(start, periods=rows, freq="10min")
    frame = pd.DataFrame(
        {
            "Year": time.year,
            "Month": time.month,
            "Day": time.day,
            "Hour": time.hour,
            "Minute": time.minute,
            "Second": time.second,
            "HYY_DMPS.d100e2": 100.0,
            "HYY_DMPS.d300e1": 30.0,
            "HYY_DMPS.d100e4": 1.0,
            "HYY_DMPS.d100e3": 1000.0,
            "HYY_DMPS.t1": 21.5,
            "HYY_DMPS.tconc": 900.0,
        }
    )
    return frame


@pytest.mark.parametrize(
    ("name", "diameter"),
    [("HYY_DMPS.d316e1", 3.16), ("HYY_DMPS.d100e2", 10.0), ("HYY_DMPS.d100e4", 1000.0)],
)
def test_channel_names_encode_diameters(name, diameter):
    assert channel_diameter_nm(name) == pytest.approx(diameter)
    assert channel_name(diameter) == name


def test_channel_name_rejects_other_columns():
    with pytest.raises(ValueError, match="not a DMPS channel name"):
        channel_diameter_nm("HYY_DMPS.t1")


def test_map_to_grid_interpolates_in_log_diameter_and_marks_out_of_range():
    d_in = np.array([3.0, 10.0, 100.0, 500.0])
    values = np.log10(d_in)[None, :] * 100  # linear in log d: interpolation is exact
    d_out = np.array([3.0, 5.0, 30.0, 500.0, 1000.0])
    mapped = map_to_grid(values, d_in, d_out)
    np.testing.assert_allclose(mapped[0, :4], np.log10(d_out[:4]) * 100)
    assert np.isnan(mapped[0, 4]), "1000 nm is outside the measured 3-500 nm"
    with_gap = values.copy()
    with_gap[0, 3] = np.nan
    assert map_to_grid(with_gap, d_in, np.array([10.0]))[0, 0] == pytest.approx(100.0)
    assert np.isnan(map_to_grid(with_gap, d_in, np.array([200.0]))[0, 0])


def test_split_export_sorts_channels_and_splits_metadata():
    raw = export(4)
    raw.loc[1, "Second"] = 40  # a scan logged 40 s late is rounded to its step
    raw = pd.concat([raw, raw.iloc[[2]]], ignore_index=True)  # a duplicated row
    sizes, metadata = split_export(raw, "test.csv")
    assert list(sizes.columns) == ["3", "10", "100", "1000"]
    assert len(sizes) == 4 and sizes.index.is_unique
    assert sizes.index[1] == pd.Timestamp("2005-04-01 00:10")
    assert list(metadata.columns) == ["t1", "tconc"]
    assert sizes.iloc[0].tolist() == [30.0, 100.0, 1000.0, 1.0]


def test_gaps_up_to_the_limit_are_filled_along_time_and_longer_ones_are_not():
    series = np.array([1.0, np.nan, 3.0, np.nan, np.nan, np.nan, np.nan, 8.0, np.nan])
    filled = _fill_gaps_in_time(series[None, :, None], max_gap=2).ravel()
    np.testing.assert_allclose(filled[:3], [1, 2, 3])
    assert np.isnan(filled[3:7]).all()
    assert filled[8] == 8.0  # a gap at the end takes the last value


def test_clean_cube_clips_negatives_and_removes_spikes():
    cube = np.full((1, 144, 2), 100.0)
    cube[0, 5, 0] = -20.0
    cube[0, 50, 1] = 50_000.0
    cleaned, counts = clean_cube(cube, CONFIG)
    assert cleaned[0, 5, 0] == 0.0
    assert cleaned[0, 50, 1] == pytest.approx(100.0)  # spike removed, then gap-filled
    assert counts.loc[0, "negative_values"] == 1 and counts.loc[0, "spikes"] == 1
    # a rising nucleation edge is not a spike
    edge = np.full((1, 144, 1), 1.0)
    edge[0, 60:, 0] = 20_000.0
    assert clean_cube(edge, CONFIG)[1].loc[0, "spikes"] == 0


def test_assess_days_gives_reasons():
    frame = pd.DataFrame(
        np.ones((144 + 60, 2)),
        index=pd.date_range("2005-04-01", periods=144, freq="10min").append(
            pd.date_range("2005-04-02", periods=60, freq="10min")
        ),
    )
    cube, dates, present = day_cube(frame)
    cube[0, 10:60, :] = np.nan  # a 50-step gap: 35% missing
    quality = assess_days(cube, dates, present, CONFIG)
    assert quality["kept"].tolist() == [False, False]
    assert quality.loc[0, "exclusion_reason"] == "too much missing data: 35% > 25%"
    assert quality.loc[1, "exclusion_reason"] == "partial day: 60 of 144 time steps"


def test_scaling_is_fixed_and_parametric():
    cube = np.full((1, 144, 3), 999.0)
    scaled = scale_cube(cube, CONFIG)
    assert scaled.shape == (1, 3, 144) and scaled.dtype == np.float32
    np.testing.assert_allclose(scaled, 0.5)


def test_prepare_export_gives_complete_scaled_days():
    raw = export(144)
    raw.loc[5, "HYY_DMPS.d300e1"] = np.nan
    prepared = prepare_export(raw, CONFIG, "day.csv")
    assert prepared.x.shape == (1, 8, 144)
    assert np.isfinite(prepared.x).all()
    assert prepared.dates.tolist() == [pd.Timestamp("2005-04-01")]


# ------------------------------------------------------------------ bad inputs


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="Year"), r"column 'Year': missing"),
        (lambda f: f.assign(**{"HYY_DMPS.d300e1": ["1.0", "abc", "2"]}), r"HYY_DMPS.d300e1"),
        (lambda f: f.iloc[0:0], r"the file is empty"),
        (lambda f: f.assign(Month=[4, 13, 4]), r"column 'Month'.*rows \[1\]"),
        (lambda f: f.assign(Day=[31, 31, 31]), r"do not form a valid date at rows \[0, 1, 2\]"),
        (lambda f: f.assign(**{"HYY_DMPS.flow": 1.0}), r"HYY_DMPS.flow"),
        (
            lambda f: f[["Year", "Month", "Day", "Hour", "Minute", "Second", "HYY_DMPS.d300e1"]],
            r"expected at least two columns",
        ),
    ],
    ids=[
        "missing column",
        "wrong type",
        "empty",
        "bad month",
        "bad date",
        "unknown column",
        "one channel",
    ],
)
def test_bad_exports_raise_one_clear_error(change, message):
    with pytest.raises(InputValidationError, match=message) as error:
        split_export(change(export(3)), "dmps/HYY_DMPS_2005.csv")
    assert "dmps/HYY_DMPS_2005.csv" in str(error.value)


LABELS = pd.DataFrame(
    {
        "Date": ["02-Jan-2004", "03-Jan-2004", "04-Jan-2004", "05-Jan-2004", "06-Jan-2004"],
        "Type Ia": [1, 0, 0, 0, 1],
        "Type Ib": [0, 0, 0, 0, 0],
        "Type II": [0, 1, 0, 0, 0],
        "Type Apple": [0, 0, 0, 0, 0],
        "Nonevent": [0, 0, 0, 1, 1],
        "Undefined": [0, 0, 0, 0, 0],
    }
)


def test_labels_get_one_class_or_a_reason():
    parsed = parse_labels(LABELS, "labels.csv")
    assert parsed["date"].iloc[0] == pd.Timestamp("2004-01-02")
    assert parsed["label5"].tolist()[:2] == ["Ia", "II"]
    assert parsed["label5"].isna().tolist() == [False, False, True, False, True]
    assert parsed.loc[2, "exclusion_reason"].startswith("no class flag")
    assert parsed.loc[4, "exclusion_reason"] == "conflicting class flags"
    schemes = label_schemes(parsed["label5"].dropna())
    assert schemes["label4"].tolist() == ["event_I", "event_II", "nonevent"]
    assert schemes["label3"].tolist() == ["event", "event", "nonevent"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="Nonevent"), r"column 'Nonevent': missing"),
        (
            lambda f: f.assign(Date=["02-Jan-2004", "2004/01/03", "x", "05-Jan-2004", "y"]),
            r"column 'Date'.*rows \[1, 2, 4\]",
        ),
        (lambda f: f.assign(**{"Type Ib": [0, 2, 0, 0, 0]}), r"column 'Type Ib'.*rows \[1\]"),
        (lambda f: f.assign(**{"Type Ib": ["0", "yes", "0", "0", "0"]}), r"Type Ib"),
        (lambda f: f.assign(**{"Type Banana": 0}), r"Type Banana"),
        (lambda f: f.iloc[0:0], r"the file is empty"),
    ],
    ids=[
        "missing column",
        "unparseable date",
        "flag not 0/1",
        "wrong type",
        "unknown label",
        "empty",
    ],
)
def test_bad_label_files_raise_one_clear_error(change, message):
    with pytest.raises(InputValidationError, match=message) as error:
        parse_labels(change(LABELS), "labels.csv")
    assert "labels.csv" in str(error.value)


def test_cleaning_in_chunks_of_days_gives_the_same_days():
    raw = pd.concat(
        [export(144, "2005-04-01"), export(144, "2005-04-02"), export(60, "2005-04-03")]
    )
    raw.loc[raw.index[10], "HYY_DMPS.d300e1"] = np.nan
    sizes, _ = split_export(raw.reset_index(drop=True), "three_days.csv")
    on_grid = sizes_on_grid(sizes, CONFIG.diameters_nm)
    whole, by_day = clean_days(on_grid, CONFIG), clean_days(on_grid, CONFIG, chunk_days=1)
    np.testing.assert_array_equal(whole.x, by_day.x)
    assert whole.dates.equals(by_day.dates) and len(whole.dates) == 2
    pd.testing.assert_frame_equal(whole.quality, by_day.quality)
