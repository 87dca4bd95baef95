"""``aerosol_simulation`` on an in-memory catalog."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from mlops_lab.aerosol.grid import is_channel
from mlops_lab.pipelines.aerosol_simulation import create_pipeline

ROOT = Path(__file__).resolve().parents[3]


def test_pipeline_writes_one_export_per_year():
    raw = pd.read_csv(ROOT / "data/01_raw/aerosol/hyytiala_Event_classification_2004-2014.csv")
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
    params = {
        "years": {"first": 2004, "last": 2005},
        "months": [6],
        "instrument_grids": grids,
        "defect_rates": {},
        "seed": 11,
    }
    catalog = DataCatalog(
        {"aerosol_labels_raw": MemoryDataset(raw), "aerosol_dmps_raw": MemoryDataset()}
        | {f"params:aerosol_simulation.{k}": MemoryDataset(v) for k, v in params.items()}
    )
    SequentialRunner().run(create_pipeline(), catalog)
    exports = catalog.load("aerosol_dmps_raw")
    assert sorted(exports) == ["HYY_DMPS_2004", "HYY_DMPS_2005"]
    for name, channels in (("HYY_DMPS_2004", 38), ("HYY_DMPS_2005", 30)):
        export = exports[name]
        assert sum(is_channel(c) for c in export.columns) == channels
        assert set(export["Month"]) == {6}
        assert 20 <= export.groupby("Day").ngroups <= 30  # June, a few days missing
