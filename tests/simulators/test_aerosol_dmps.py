"""The DMPS simulator: export format, determinism, event physics and defects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.aerosol.grid import channel_diameter_nm, is_channel, log_grid
from mlops_lab.simulators.aerosol_dmps import (
    DefectRates,
    InstrumentGrid,
    grid_for_year,
    simulate_day,
    simulate_dmps_years,
    simulate_export,
)

NO_DEFECTS = DefectRates(0, 0, 0, 0, 0, 0, 0)
GRID = InstrumentGrid(2004, 2014, 3.0, 1000.0, 40)


def _days(label: str, n: int, start: str = "2005-04-01") -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range(start, periods=n), "label5": label})


def _truth_like_day(label: str, day: int) -> np.ndarray:
    date = pd.Timestamp("2005-04-01") + pd.Timedelta(days=day)
    values, _ = simulate_day(date, label, GRID.diameters_nm, 7, NO_DEFECTS)
    return values.to_numpy()


def test_export_has_the_smartsmear_layout():
    export = simulate_export(_days("Ia", 3), GRID, seed=1, rates=NO_DEFECTS)
    assert list(export.columns[:6]) == ["Year", "Month", "Day", "Hour", "Minute", "Second"]
    channels = [c for c in export.columns if is_channel(c)]
    assert len(channels) == 40
    diameters = [channel_diameter_nm(c) for c in channels]
    assert diameters != sorted(diameters), "columns are written in lexicographic order"
    assert min(diameters) == pytest.approx(3.0) and max(diameters) == pytest.approx(1000.0)
    for name in ("t1", "t2", "p1", "p2", "rh1", "rh2", "tconc"):
        assert f"HYY_DMPS.{name}" in export.columns
    assert len(export) == 3 * 144
    assert (export["Minute"] % 10 == 0).all()


def test_days_are_reproducible_and_independent_of_the_range():
    one = simulate_export(_days("II", 5), GRID, seed=3, rates=DefectRates())
    again = simulate_export(_days("II", 5), GRID, seed=3, rates=DefectRates())
    pd.testing.assert_frame_equal(one, again)
    last_day_alone = simulate_export(
        _days("II", 1, "2005-04-05"), GRID, seed=3, rates=DefectRates()
    )
    tail = one[one["Day"] == 5].reset_index(drop=True)
    pd.testing.assert_frame_equal(tail, last_day_alone)
    other_seed = simulate_export(_days("II", 5), GRID, seed=4, rates=DefectRates())
    assert not one.iloc[:, 6:].equals(other_seed.iloc[:, 6:])


def test_event_days_show_new_particles_that_grow_and_nonevent_days_do_not():
    small = GRID.diameters_nm < 10
    midday = slice(11 * 6, 15 * 6)
    ia = np.mean([_truth_like_day("Ia", d)[midday][:, small].mean() for d in range(8)])
    nonevent = np.mean([_truth_like_day("nonevent", d)[midday][:, small].mean() for d in range(8)])
    assert ia > 20 * max(nonevent, 1.0)
    # the banana: the nucleation mode's peak diameter (below 100 nm) grows in the afternoon
    day = _truth_like_day("Ia", 2)
    nucleation = GRID.diameters_nm < 100
    peak = GRID.diameters_nm[nucleation][np.argmax(day[:, nucleation], axis=1)]
    assert peak[18 * 6] > 1.5 * peak[13 * 6]


def test_class_ia_is_stronger_than_ib_and_ii():
    small = GRID.diameters_nm < 25
    strength = {
        label: np.median([_truth_like_day(label, d)[:, small].sum() for d in range(12)])
        for label in ("Ia", "Ib", "II")
    }
    assert strength["Ia"] > strength["Ib"] > strength["II"]


def test_measurements_have_the_defects_of_real_data():
    year = _days("nonevent", 120, "2005-01-01")
    year.loc[::10, "label5"] = None  # unflagged days are mostly missing
    export = simulate_export(year, GRID, seed=5, rates=DefectRates())
    channels = export[[c for c in export.columns if is_channel(c)]]
    assert (channels < 0).to_numpy().any(), "inversion gives negative values"
    assert channels.isna().to_numpy().any(), "NaN gaps"
    dates = pd.to_datetime(export[["Year", "Month", "Day"]])
    rows_per_day = dates.value_counts()
    assert dates.nunique() < 120, "some days are missing"
    assert (rows_per_day < 144).any(), "some days are partial"
    assert channels.max().max() > 1e4, "spikes"


def test_years_use_their_instrument_grid():
    labels = pd.DataFrame(
        {
            "date": pd.to_datetime(["2004-04-01", "2005-04-01", "2014-04-01"]),
            "label5": ["Ia", "Ib", "nonevent"],
        }
    )
    grids = [
        {
            "first_year": 2004,
            "last_year": 2004,
            "d_min_nm": 2.8,
            "d_max_nm": 500.0,
            "n_channels": 38,
        },
        {
            "first_year": 2005,
            "last_year": 2014,
            "d_min_nm": 10.0,
            "d_max_nm": 1000.0,
            "n_channels": 30,
        },
    ]
    rates = {"missing_day": 0.0, "partial_day": 0.0}
    exports = simulate_dmps_years(labels, 2004, 2005, grids, seed=1, defect_rates=rates)
    assert sorted(exports) == ["HYY_DMPS_2004", "HYY_DMPS_2005"]
    d2004 = [channel_diameter_nm(c) for c in exports["HYY_DMPS_2004"].columns if is_channel(c)]
    d2005 = [channel_diameter_nm(c) for c in exports["HYY_DMPS_2005"].columns if is_channel(c)]
    assert (len(d2004), min(d2004), max(d2004)) == (38, 2.8, 500.0)
    assert (len(d2005), min(d2005), max(d2005)) == (30, 10.0, 1000.0)
    with pytest.raises(ValueError, match="no instrument grid configured for 2003"):
        grid_for_year(2003, [InstrumentGrid(**g) for g in grids])


def test_log_grid_rejects_nonsense():
    with pytest.raises(ValueError, match="invalid grid"):
        log_grid(10, 3, 40)
