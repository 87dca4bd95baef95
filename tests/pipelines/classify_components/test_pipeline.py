"""``classify_components``: a Kedro session reading the model from the MLflow registry."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from mlops_lab.pipelines.classify_components import create_pipeline

from .conftest import tiny_package


def test_pipeline_on_an_in_memory_catalog(pyfunc_model):
    catalog = DataCatalog(
        {
            "component_texts_to_classify": MemoryDataset(
                pd.DataFrame({"text": ["iron part 1999", ""]})
            ),
            "component_compliance_registered_model": MemoryDataset(
                pyfunc_model, copy_mode="assign"
            ),
            "params:classify_components.max_chars": MemoryDataset(500),
            "params:classify_components.raw_source": MemoryDataset("memory"),
        }
    )
    outputs = SequentialRunner().run(create_pipeline(), catalog)
    predictions = outputs["component_compliance_predictions"].load()
    assert predictions["rejection_reason"].tolist() == [None, "empty text"]


@pytest.mark.slow
def test_session_classifies_a_file_with_the_latest_registered_model(kedro_project: Path):
    # The project's store (conf/base/mlflow.yml: sqlite:///mlruns.db, relative to the project).
    # Absolute here: MLflow caches stores by URI, so a relative URI could reach the store of
    # an earlier test's project in the same process.
    uri = f"sqlite:///{kedro_project / 'mlruns.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with mlflow.start_run():
        mlflow.pyfunc.log_model(
            name="component-compliance",
            python_model=tiny_package(),
            registered_model_name="component-compliance",
            pip_requirements=["mlflow"],
        )
    texts = kedro_project / "data/01_raw/components/texts_to_classify_sample.csv"
    texts.parent.mkdir(parents=True, exist_ok=True)
    texts.write_text("text\nPlastic bumper made in 2012 good condition\n\n???\niron part 1999\n")

    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_name="classify_components")

    folder = kedro_project / "data/07_model_output/components/component_compliance_predictions.csv"
    (output,) = folder.glob("*/*")
    predictions = pd.read_csv(output)
    assert list(predictions.columns) == ["row", "text", "probability", "label", "rejection_reason"]
    assert len(predictions) == 4
    assert predictions["rejection_reason"].fillna("").tolist() == [
        "",
        "empty text",
        "no letter or digit",
        "",
    ]
    accepted = predictions["rejection_reason"].isna()
    assert predictions.loc[accepted, "probability"].between(0, 1).all()
