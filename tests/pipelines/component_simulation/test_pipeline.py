"""``component_simulation`` as a pipeline: in-memory slice and a Kedro session."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from mlops_lab.pipelines.component_simulation import create_pipeline
from mlops_lab.simulators.component_texts import COLUMNS, generate_component_texts


def test_pipeline_writes_the_raw_texts_to_the_catalog():
    params = {
        "n_texts": 200,
        "seed": 1,
        "notes": {"n_families": 10},
        "to_classify.n_texts": 20,
        "to_classify.seed": 2,
    }
    catalog = DataCatalog(
        {f"params:component_simulation.{k}": MemoryDataset(v) for k, v in params.items()}
        | {
            "component_texts_raw": MemoryDataset(),
            "component_texts_to_classify_sample": MemoryDataset(),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    raw = catalog.load("component_texts_raw")
    assert len(raw) == 200
    assert list(raw.columns) == COLUMNS
    assert len(catalog.load("component_texts_to_classify_sample")) == 20 + 4


@pytest.mark.slow
def test_session_writes_the_raw_csv_with_the_test_size(kedro_project: Path):
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=["component_simulation"])
    raw = pd.read_csv(
        kedro_project / "data/01_raw/components/component_texts.csv", keep_default_na=False
    )
    assert len(raw) == 3000  # conf/test/parameters_component_simulation.yml
    assert set(raw["label"]) == {0, 1}
    # The file is what the generator writes for the test parameters, text for text.
    notes = {"year_min": 1960, "year_max": 2024, "max_words": 40, "n_families": 60}
    expected = generate_component_texts(3000, seed=42, **notes)
    pd.testing.assert_frame_equal(raw, expected)
