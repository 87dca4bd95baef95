"""The ``simulate_dmps_exports`` node."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_lab.pipelines.aerosol_simulation.nodes import simulate_dmps_exports
from mlops_lab.validation import InputValidationError

RAW_LABELS = pd.DataFrame(
    {
        "Date": ["30-Apr-2004", "01-May-2004", "02-May-2004", "01-May-2005"],
        "Type Ia": [1, 0, 0, 0],
        "Type Ib": [0, 1, 0, 0],
        "Type II": [0, 0, 0, 0],
        "Nonevent": [0, 0, 1, 0],
        "Undefined": [0, 0, 0, 1],
    }
)
GRIDS = [
    {"first_year": 2004, "last_year": 2014, "d_min_nm": 3.0, "d_max_nm": 1000.0, "n_channels": 32}
]
NO_MISSING = {"missing_day": 0.0, "partial_day": 0.0}


def test_one_export_per_year_for_the_chosen_months():
    exports = simulate_dmps_exports(
        RAW_LABELS, {"first": 2004, "last": 2005}, [5], GRIDS, NO_MISSING, 1
    )
    assert sorted(exports) == ["HYY_DMPS_2004", "HYY_DMPS_2005"]
    days_2004 = exports["HYY_DMPS_2004"][["Month", "Day"]].drop_duplicates()
    assert days_2004.to_numpy().tolist() == [[5, 1], [5, 2]]
    assert set(exports["HYY_DMPS_2005"]["Day"]) == {1}


def test_no_days_in_range_is_a_clear_error():
    with pytest.raises(ValueError, match="no labelled days in 2020-2021"):
        simulate_dmps_exports(RAW_LABELS, {"first": 2020, "last": 2021}, None, GRIDS, {}, 1)


def test_bad_label_file_is_reported_before_simulating():
    with pytest.raises(
        InputValidationError, match=r"(?s)aerosol_labels_raw.*column 'Nonevent': missing"
    ):
        simulate_dmps_exports(
            RAW_LABELS.drop(columns="Nonevent"),
            {"first": 2004, "last": 2004},
            None,
            GRIDS,
            {},
            1,
        )
