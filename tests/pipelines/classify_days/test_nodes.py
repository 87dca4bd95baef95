"""``classify_dmps_days`` with a tiny untrained classifier on simulated raw exports."""

from __future__ import annotations

import numpy as np
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from tests.pipelines.particle_classification.test_model import classifier, raw_days

from mlops_lab.pipelines.classify_days import create_pipeline
from mlops_lab.pipelines.classify_days.nodes import classify_dmps_days
from mlops_lab.registry import RegisteredModel
from mlops_lab.validation import InputValidationError


def registered(version: str = "7", model=None) -> RegisteredModel:
    """The tiny classifier as the registry would return it for ``@champion``."""
    return RegisteredModel(
        name="aerosol-event-classifier",
        version=version,
        run_id=None,
        aliases=("champion",),
        python_model=model if model is not None else classifier(),
    )


def test_every_day_of_every_file_is_listed_with_status_and_reason():
    raw = raw_days()
    exports = {"b_file": lambda: raw[raw["Day"] == 3], "a_file": raw[raw["Day"] < 3]}
    model = classifier()
    result = classify_dmps_days(exports, registered(model=model))
    assert result["date"].tolist() == ["2005-05-01", "2005-05-02", "2005-05-03"]
    assert result["source"].tolist() == ["a_file", "a_file", "b_file"]
    assert result["status"].tolist() == ["classified", "classified", "not classified"]
    assert result.loc[2, "reason"].startswith("partial day")
    # which version made each prediction
    assert set(result["model_name"]) == {"aerosol-event-classifier"}
    assert set(result["model_version"]) == {"7"}
    direct = model.classify(raw)
    np.testing.assert_allclose(
        result.loc[:1, "probability_event"].to_numpy(), direct.loc[:1, "probability_event"]
    )


def test_bad_or_missing_input_is_a_clear_error():
    with pytest.raises(InputValidationError, match="no export files found"):
        classify_dmps_days({}, registered())
    raw = raw_days().drop(columns="Year")
    with pytest.raises(
        InputValidationError, match=r"(?s)aerosol_dmps_to_classify/x.*'Year': missing"
    ):
        classify_dmps_days({"x": raw}, registered())


def test_pipeline_on_an_in_memory_catalog():
    catalog = DataCatalog(
        {
            "aerosol_dmps_to_classify": MemoryDataset({"f": raw_days()}, copy_mode="assign"),
            "aerosol_event_classifier_champion": MemoryDataset(registered("3"), copy_mode="assign"),
            "aerosol_day_predictions": MemoryDataset(),
        }
    )
    SequentialRunner().run(create_pipeline(), catalog)
    predictions = catalog.load("aerosol_day_predictions")
    assert len(predictions) == 3 and set(predictions["model_version"]) == {"3"}
    assert "inference" in create_pipeline().nodes[0].tags
