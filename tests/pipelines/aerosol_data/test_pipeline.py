"""``aerosol_data`` as a pipeline: in-memory slice, Kedro session (env test), notebook."""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.kedro_helpers import KeptMemoryDataset, latest_version
from tests.notebook_runner import execute_notebook

from mlops_lab.aerosol.labels import parse_labels
from mlops_lab.aerosol.preprocessing import PreprocessingConfig
from mlops_lab.pipelines.aerosol_data import create_pipeline
from mlops_lab.simulators.aerosol_dmps import DefectRates, InstrumentGrid, simulate_export

LABELS_FILE = "data/01_raw/aerosol/hyytiala_Event_classification_2004-2014.csv"
# The production settings on a coarser grid, to keep the test small.
PREPROCESSING = asdict(PreprocessingConfig(n_channels=24))


def test_pipeline_on_an_in_memory_catalog():
    root = Path(__file__).resolve().parents[3]
    raw_labels = pd.read_csv(root / LABELS_FILE)
    labels = parse_labels(raw_labels, "labels")
    may = labels[(labels["date"] >= "2004-05-01") & (labels["date"] <= "2004-05-20")]
    export = simulate_export(may, InstrumentGrid(2004, 2004, 2.8, 500, 38), 3, DefectRates())
    pipeline = create_pipeline()
    catalog = DataCatalog(
        {
            "aerosol_labels_raw": MemoryDataset(raw_labels),
            "aerosol_dmps_raw": MemoryDataset({"HYY_DMPS_2004": export}, copy_mode="assign"),
            "params:aerosol_data.data_note": MemoryDataset("simulated (test)"),
            "params:aerosol_data.example_days": MemoryDataset(
                {"event": [["label3", "event"]], "non-event": [["label3", "nonevent"]]}
            ),
            "params:aerosol_data.preprocessing": MemoryDataset(PREPROCESSING),
            "params:aerosol_data.preprocessing.step_minutes": MemoryDataset(10),
        }
        | {name: KeptMemoryDataset(copy_mode="assign") for name in pipeline.all_outputs()}
    )
    SequentialRunner().run(pipeline, catalog)
    model_input = catalog.load("aerosol_model_input")
    table = catalog.load("aerosol_labels")
    report = catalog.load("aerosol_data_report")
    assert model_input["x"].shape == (len(table), 24, 144)
    assert report["usable_days"] == len(table) >= 14
    expected = may.set_index("date")["label5"]
    assert (table.set_index("date")["label5"] == expected.loc[table["date"]]).all()
    excluded = catalog.load("aerosol_excluded_days")
    in_may = excluded[(excluded["date"] >= "2004-05-01") & (excluded["date"] <= "2004-05-20")]
    assert len(table) + len(in_may) == 20  # every simulated day is usable or explained
    assert report["excluded_days"] == len(excluded) > 300  # the rest of 2004 has no DMPS
    assert catalog.load("aerosol_dmps_metadata")["source"].unique().tolist() == ["HYY_DMPS_2004"]
    assert model_input["note"] == report["note"] == "simulated (test)"


@pytest.mark.slow
def test_session_writes_versioned_model_input_report_plot_and_the_notebook_runs(
    kedro_project: Path,
):
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["aerosol_simulation", "aerosol_data"])
    raw = sorted(p.name for p in (kedro_project / "data/01_raw/aerosol/dmps").iterdir())
    assert raw == ["HYY_DMPS_2004.csv", "HYY_DMPS_2005.csv"]
    with open(
        latest_version(kedro_project / "data/05_model_input/aerosol/model_input.pkl"), "rb"
    ) as f:
        model_input = pickle.load(f)
    report = json.loads(
        latest_version(kedro_project / "data/08_reporting/aerosol/data_report.json").read_text()
    )
    labels = pd.read_csv(latest_version(kedro_project / "data/03_primary/aerosol/labels.csv"))
    assert model_input["x"].shape == (report["usable_days"], 40, 144)
    assert len(labels) == report["usable_days"] > 80  # April and October of 2004, 2005
    assert set(pd.to_datetime(labels["date"]).dt.month) == {4, 10}
    assert np.isfinite(model_input["x"]).all()
    assert sum(report["class_counts"]["label3"].values()) == report["usable_days"]
    truth = parse_labels(pd.read_csv(kedro_project / LABELS_FILE), "labels").set_index("date")
    assert (
        labels["label5"].to_numpy() == truth.loc[pd.to_datetime(labels["date"]), "label5"]
    ).all()
    assert model_input["note"].startswith("simulated DMPS data")  # the default data_note
    image = plt.imread(latest_version(kedro_project / "data/08_reporting/aerosol/example_days.png"))
    assert image.shape[1] > 2 * image.shape[0]  # two panels side by side
    assert image[..., :3].std() > 0.1  # drawn, not blank
    excluded = pd.read_csv(
        latest_version(kedro_project / "data/08_reporting/aerosol/excluded_days.csv")
    )
    assert len(excluded) == report["excluded_days"]
    assert excluded["exclusion_reason"].str.len().gt(0).all()
    execute_notebook("aerosol_exploration.ipynb", kedro_project, env="test")
