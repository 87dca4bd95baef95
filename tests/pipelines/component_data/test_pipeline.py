"""``component_data`` as a pipeline: in-memory slice, Kedro session, bad file, notebook."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.kedro_helpers import KeptMemoryDataset, latest_version
from tests.notebook_runner import execute_notebook

from mlops_lab.components.text import normalise_text
from mlops_lab.pipelines.component_data import create_pipeline
from mlops_lab.simulators.component_texts import generate_component_texts
from mlops_lab.validation import InputValidationError


def test_pipeline_on_an_in_memory_catalog():
    raw = generate_component_texts(1000, seed=2)
    raw = pd.concat([raw, raw.iloc[:10]], ignore_index=True)  # ten exact duplicates
    catalog = DataCatalog(
        {
            "component_texts_raw": MemoryDataset(raw),
            "params:component_data.split": MemoryDataset(
                {"train": 0.6, "validation": 0.2, "test": 0.2}
            ),
            "params:component_data.seed": MemoryDataset(42),
        }
        | {name: KeptMemoryDataset() for name in create_pipeline().all_outputs()}
    )
    SequentialRunner().run(create_pipeline(), catalog)
    report = catalog.load("component_data_report")
    assert report["rows_validated"] == 1010
    assert report["duplicates_removed"] >= 10
    assert report["rows_primary"] == len(catalog.load("component_texts"))
    train = catalog.load("component_texts_train")
    assert (train["text"] == train["text"].map(normalise_text)).all()
    assert (
        sum(report[f"rows_{s}"] for s in ("train", "validation", "test"))
        == (report["rows_primary"])
    )


@pytest.mark.slow
def test_session_prepares_versioned_splits_and_the_notebook_runs(kedro_project: Path):
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["component_simulation", "component_data"])
    data = kedro_project / "data"
    splits = {
        name: pd.read_parquet(
            latest_version(data / f"05_model_input/components/component_texts_{name}.parquet")
        )
        for name in ("train", "validation", "test")
    }
    primary = pd.read_parquet(
        latest_version(data / "03_primary/components/component_texts.parquet")
    )
    assert sum(len(frame) for frame in splits.values()) == len(primary)
    assert not primary["text"].duplicated().any()  # no duplicates are left
    assert 2950 <= len(primary) <= 3000
    assert len(splits["train"]) == pytest.approx(0.6 * len(primary), rel=0.1)
    assert len(splits["test"]) == pytest.approx(0.2 * len(primary), rel=0.25)
    # Held-out template families: none of the test families is seen in training.
    assert set(splits["test"]["family"]).isdisjoint(splits["train"]["family"])
    assert set(splits["test"]["family"]).isdisjoint(splits["validation"]["family"])
    assert latest_version(data / "08_reporting/components/component_data_report.json").exists()
    execute_notebook("components_exploration.ipynb", kedro_project, env="test")


@pytest.mark.slow
def test_session_stops_on_a_bad_raw_file_with_a_clear_message(kedro_project: Path):
    raw = kedro_project / "data/01_raw/components/component_texts.csv"
    raw.parent.mkdir(parents=True, exist_ok=True)
    raw.write_text("text,label\nsteel part 2001 in good condition,0\n,1\n")
    with (
        KedroSession.create(project_path=kedro_project, env="test") as session,
        pytest.raises(InputValidationError) as error,
    ):
        session.run(pipeline_names=["component_data"])
    # The node names the column and row; the project's hook adds the dataset and its file.
    message = str(error.value)
    assert "column 'text': expected text with a letter or digit; failed at rows [1]" in message
    assert "dataset 'component_texts_raw' (" in message
    assert "01_raw/components/component_texts.csv" in message
