"""Nodes of ``aerosol_data`` on tiny simulated exports, including bad inputs."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro_datasets.pandas import CSVDataset

from mlops_lab.aerosol.labels import parse_labels
from mlops_lab.aerosol.preprocessing import PreprocessingConfig
from mlops_lab.pipelines.aerosol_data.nodes import (
    build_data_report,
    build_labels_table,
    build_model_input,
    clean_dmps,
    map_to_model_grid,
    parse_dmps_exports,
    plot_example_days,
)
from mlops_lab.simulators.aerosol_dmps import DefectRates, InstrumentGrid, simulate_export
from mlops_lab.validation import InputValidationError

# The production settings on a coarser grid, to keep the test small.
PREPROCESSING = asdict(PreprocessingConfig(n_channels=20))
NOTE = "simulated DMPS data (test exports)"
EXAMPLE_DAYS = {
    "event": [["label5", "Ia"], ["label3", "event"]],
    "non-event": [["label3", "nonevent"]],
}
CLASSES = ["Ia", "nonevent", "II", "undefined", None, "Ib", "nonevent", "undefined"]


@pytest.fixture(scope="module")
def labels() -> pd.DataFrame:
    raw = pd.DataFrame({"Date": pd.date_range("2004-04-01", periods=8).strftime("%d-%b-%Y")})
    for column, label in [
        ("Type Ia", "Ia"),
        ("Type Ib", "Ib"),
        ("Type II", "II"),
        ("Nonevent", "nonevent"),
        ("Undefined", "undefined"),
    ]:
        raw[column] = [int(c == label) for c in CLASSES]
    return parse_labels(raw, "labels.csv")


@pytest.fixture(scope="module")
def exports(labels) -> dict[str, pd.DataFrame]:
    """Two files on different grids: 2.8-500 nm (first 4 days), 3-1000 nm (last 4)."""
    no_missing = DefectRates(
        missing_day=0, missing_unflagged_day=0, partial_day=0, short_gaps=0, long_gap=0
    )
    early = InstrumentGrid(2004, 2004, 2.8, 500.0, 30)
    later = InstrumentGrid(2004, 2004, 3.0, 1000.0, 45)
    first = simulate_export(labels.iloc[:4], early, seed=1, rates=no_missing)
    second = simulate_export(labels.iloc[4:], later, seed=1, rates=no_missing)
    second = second[(second["Day"] != 6) | (second["Hour"] < 8)]  # day 6 partial: 48 steps
    return {"HYY_DMPS_a": first, "HYY_DMPS_b": second}


@pytest.fixture(scope="module")
def prepared(exports, labels):
    sizes, metadata = parse_dmps_exports({k: (lambda v=v: v) for k, v in exports.items()}, 10)
    on_grid = map_to_model_grid({k: (lambda v=v: v) for k, v in sizes.items()}, PREPROCESSING)
    clean, quality = clean_dmps(on_grid, PREPROCESSING)
    table = build_labels_table(labels, quality)
    return {
        "sizes": sizes,
        "metadata": metadata,
        "on_grid": on_grid,
        "clean": clean,
        "quality": quality,
        "labels": table,
    }


def test_parse_keeps_each_files_grid_sorted_and_splits_metadata(prepared):
    sizes = prepared["sizes"]
    assert [s.shape[1] for s in sizes.values()] == [30, 45]
    for frame in sizes.values():
        assert frame.columns.astype(float).is_monotonic_increasing
    assert set(prepared["metadata"].columns) == {
        "t1",
        "t2",
        "p1",
        "p2",
        "rh1",
        "rh2",
        "tconc",
        "source",
    }


def test_grid_mapping_marks_channels_outside_the_measured_range_missing(prepared):
    on_grid = prepared["on_grid"]
    assert on_grid.shape[1] == 20
    april_2 = on_grid.loc["2004-04-02"]
    above_500 = on_grid.columns.astype(float) > 500
    assert april_2.loc[:, above_500].isna().all().all()
    assert april_2.loc[:, ~above_500].notna().mean().mean() > 0.95
    assert on_grid.loc["2004-04-06"].notna().all().all()


def test_clean_keeps_complete_days_and_reports_the_others(prepared):
    clean, quality = prepared["clean"], prepared["quality"]
    assert (clean.to_numpy() >= 0).all() and np.isfinite(clean.to_numpy()).all()
    kept = quality.loc[quality["kept"], "date"].dt.day.tolist()
    assert 6 not in kept
    assert quality.set_index(quality["date"].dt.day).loc[6, "exclusion_reason"] == (
        "partial day: 48 of 144 time steps"
    )
    assert len(clean) == 144 * len(kept)
    assert quality["negative_values"].sum() > 0


def test_labels_table_has_usable_labelled_days_in_three_schemes(prepared):
    table = prepared["labels"]
    assert list(table.columns) == ["date", "label5", "label4", "label3"]
    assert table["date"].dt.day.tolist() == [1, 2, 3, 4, 7, 8]  # 5 unflagged, 6 partial
    assert table["label3"].tolist() == [
        "event",
        "nonevent",
        "event",
        "undefined",
        "nonevent",
        "undefined",
    ]
    assert table["label4"].tolist()[:3] == ["event_I", "nonevent", "event_II"]


def test_model_input_tensors_dates_labels_and_grid(prepared):
    model_input = build_model_input(prepared["clean"], prepared["labels"], PREPROCESSING, NOTE)
    assert model_input["x"].shape == (6, 20, 144)
    assert model_input["x"].dtype == np.float32
    assert model_input["x"].min() >= 0 and model_input["x"].max() <= 1
    assert model_input["dates"][0] == np.datetime64("2004-04-01")
    assert model_input["label5"].tolist()[0] == "Ia"
    assert model_input["diameters_nm"][[0, -1]].tolist() == pytest.approx([3.0, 1000.0])
    assert model_input["preprocessing"] == PREPROCESSING
    assert model_input["note"] == NOTE
    # the Ia day has far more small particles than the non-event day
    small = model_input["diameters_nm"] < 10
    assert model_input["x"][0][small].mean() > model_input["x"][1][small].mean() + 0.1


def test_model_input_refuses_an_empty_labels_table(prepared):
    with pytest.raises(ValueError, match="no usable labelled days"):
        build_model_input(prepared["clean"], prepared["labels"].iloc[0:0], PREPROCESSING, NOTE)


def test_data_report_counts_classes_months_and_exclusions(prepared, labels):
    report = build_data_report(labels, prepared["quality"], prepared["labels"], NOTE)
    summary = report["summary"]
    assert summary["usable_days"] == 6
    assert summary["class_counts"]["label3"] == {"event": 2, "undefined": 2, "nonevent": 2}
    assert summary["excluded_by_reason"] == {
        "partial day": 1,
        "no class flag (bad or missing data)": 1,
    }
    assert report["excluded"]["date"].dt.day.tolist() == [5, 6]
    monthly = report["monthly"]
    assert monthly.loc[0, "month"] == "2004-04" and monthly.loc[0, "event"] == 2
    assert summary["note"] == NOTE  # what the data are comes from the parameters


def test_plot_example_days(prepared):
    figure = plot_example_days(
        prepared["clean"], prepared["labels"], PREPROCESSING, EXAMPLE_DAYS, NOTE
    )
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == ["2004-04-01: event (class Ia)", "2004-04-07: non-event (class nonevent)"]
    assert figure._suptitle.get_text() == NOTE
    # each panel draws its day: the event day's smallest channels are far above the other's
    event, nonevent = (ax.collections[0].get_array() for ax in figure.axes[:2])
    assert event.shape == nonevent.shape == (20, 144)
    assert event[:3].mean() > 3 * nonevent[:3].mean()


def test_example_days_follow_the_parameters(prepared):
    only_type_ii = {"type II": [["label5", "II"]], "absent": [["label5", "none"]]}
    figure = plot_example_days(
        prepared["clean"], prepared["labels"], PREPROCESSING, only_type_ii, NOTE
    )
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles == ["2004-04-03: type II (class II)"]
    with pytest.raises(ValueError, match="no day of any class"):
        plot_example_days(
            prepared["clean"], prepared["labels"], PREPROCESSING, {"x": [["label5", "none"]]}, NOTE
        )


def test_no_exports_is_a_clear_error():
    with pytest.raises(InputValidationError, match="no DMPS export files"):
        parse_dmps_exports({}, 10)


def test_an_empty_export_file_names_the_file(tmp_path: Path, exports):
    empty = tmp_path / "HYY_DMPS_2006.csv"
    empty.write_text("")
    loaders = {"HYY_DMPS_2006": CSVDataset(filepath=str(empty)).load}
    with pytest.raises(InputValidationError, match="HYY_DMPS_2006: the file is empty"):
        parse_dmps_exports(loaders, 10)
    header_only = tmp_path / "header.csv"
    exports["HYY_DMPS_a"].iloc[0:0].to_csv(header_only, index=False)
    loaders = {"header": CSVDataset(filepath=str(header_only)).load}
    with pytest.raises(InputValidationError, match="aerosol_dmps_raw/header: the file is empty"):
        parse_dmps_exports(loaders, 10)
