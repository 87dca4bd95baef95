"""``classify_components``: a Kedro session reading ``@champion`` from the MLflow registry."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, DatasetError, MemoryDataset
from kedro.runner import SequentialRunner
from mlflow import MlflowClient
from tests.components.small_model import trained_package, untrained_package
from tests.kedro_helpers import latest_version

from mlops_lab.pipelines.classify_components import create_pipeline
from mlops_lab.registry import RegisteredModelDataset

MODEL_NAME = "component-compliance"
PREDICTIONS = "data/07_model_output/components/component_compliance_predictions.csv"


def test_pipeline_on_an_in_memory_catalog(registered_model):
    catalog = DataCatalog(
        {
            "component_texts_to_classify": MemoryDataset(
                pd.DataFrame({"text": ["iron part 1999", ""]})
            ),
            "component_compliance_champion": MemoryDataset(registered_model, copy_mode="assign"),
            "params:classify_components.max_chars": MemoryDataset(500),
        }
    )
    outputs = SequentialRunner().run(create_pipeline(), catalog)
    predictions = outputs["component_compliance_predictions"].load()
    assert predictions["rejection_reason"].tolist() == [None, "empty text"]
    assert predictions["model_version"].tolist() == ["7", "7"]


def _classify(project: Path, runtime_params: dict | None = None) -> pd.DataFrame:
    with KedroSession.create(
        project_path=project, env="test", runtime_params=runtime_params
    ) as session:
        session.run(pipeline_names=["classify_components"])
    return pd.read_csv(latest_version(project / PREDICTIONS))


@pytest.mark.slow
def test_session_classifies_with_the_champion_or_the_version_asked_for(kedro_project: Path):
    # The project's store (sqlite:///mlruns.db, relative to the project). Absolute here:
    # MLflow caches stores by URI, so a relative URI could reach an earlier test's store.
    uri = f"sqlite:///{kedro_project / 'mlruns.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    texts = kedro_project / "data/01_raw/components/texts_to_classify_sample.csv"
    texts.parent.mkdir(parents=True, exist_ok=True)
    texts.write_text("text\nPlastic bumper made in 2012 good condition\n\n???\niron part 1999\n")

    registry = RegisteredModelDataset(model_name=MODEL_NAME)
    registry.save(trained_package())  # version 1
    with pytest.raises(DatasetError, match=r"no alias 'champion'.*Train it first"):
        _classify(kedro_project)
    MlflowClient().set_registered_model_alias(MODEL_NAME, "champion", "1")
    registry.save(untrained_package())  # version 2, @challenger only

    predictions = _classify(kedro_project)
    assert list(predictions.columns) == [
        "row",
        "text",
        "probability",
        "label",
        "rejection_reason",
        "model_name",
        "model_version",
    ]
    assert predictions["rejection_reason"].fillna("").tolist() == [
        "",
        "empty text",
        "no letter or digit",
        "",
    ]
    assert predictions["label"].tolist()[::3] == [1, 1]  # plastic and iron: non-compliant
    assert (predictions["model_version"] == 1).all()

    by_alias = _classify(kedro_project, {"component_compliance_model": "challenger"})
    assert (by_alias["model_version"] == 2).all()
    by_version = _classify(kedro_project, {"component_compliance_model": 1})
    assert (by_version["model_version"] == 1).all()
