"""The registered pyfunc: preprocessing + CNN, logged, loaded and used on raw rows."""

from __future__ import annotations

import mlflow
import numpy as np
import pandas as pd

from mlops_lab.aerosol.cnn import build_cnn
from mlops_lab.aerosol.model import AerosolDayClassifier
from mlops_lab.registry import RegisteredModelDataset
from mlops_lab.simulators.aerosol_dmps import DefectRates, InstrumentGrid, simulate_export

from .conftest import CNN, PREPROCESSING

CLASSES = ["event", "undefined", "nonevent"]


def raw_days() -> pd.DataFrame:
    """Three days of raw export rows: complete, complete, partial (day 3 keeps 40 rows)."""
    days = pd.DataFrame(
        {"date": pd.date_range("2005-05-01", periods=3), "label5": ["Ia", "nonevent", "II"]}
    )
    rates = DefectRates(0, 0, 0, 0, 0, 0, 0)
    export = simulate_export(days, InstrumentGrid(2005, 2005, 3.0, 1000.0, 30), 1, rates)
    return export[(export["Day"] < 3) | (export["Hour"] < 7)].reset_index(drop=True)


EARLY_GRID = InstrumentGrid(2004, 2004, 2.8, 500.0, 20)


def early_grid_day() -> pd.DataFrame:
    """A complete day measured on another instrument grid (2.8-500 nm, 20 channels)."""
    day = pd.DataFrame({"date": [pd.Timestamp("2004-05-01")], "label5": ["Ib"]})
    return simulate_export(day, EARLY_GRID, 1, DefectRates(0, 0, 0, 0, 0, 0, 0))


def classifier() -> AerosolDayClassifier:
    network = build_cnn((8, 144), 3, CNN["architecture"])
    raw = raw_days()
    example = raw[raw["Day"] == 1].reset_index(drop=True)
    columns = sorted(set(raw.columns) | set(early_grid_day().columns))
    return AerosolDayClassifier(network, PREPROCESSING, CLASSES, example, "test", columns)


def test_classify_lists_incomplete_days_with_the_reason():
    result = classifier().classify(raw_days())
    assert result["date"].tolist() == ["2005-05-01", "2005-05-02", "2005-05-03"]
    assert result["status"].tolist() == ["classified", "classified", "not classified"]
    assert result.loc[2, "reason"] == "partial day: 42 of 144 time steps"
    assert result.loc[2, "predicted_class"] == ""
    probabilities = result[[f"probability_{c}" for c in CLASSES]].to_numpy()
    np.testing.assert_allclose(probabilities[:2].sum(axis=1), 1, rtol=1e-5)
    assert np.isnan(probabilities[2]).all()
    assert set(result.loc[:1, "predicted_class"]) <= set(CLASSES)


def test_pyfunc_round_trip_registers_new_versions(mlflow_sqlite):
    model = classifier()
    dataset = RegisteredModelDataset(
        model_name="aerosol-event-classifier-test", reference="challenger"
    )
    with mlflow.start_run():
        dataset.save(model)
    with mlflow.start_run():
        dataset.save(model)
    client = mlflow.MlflowClient()
    versions = client.search_model_versions("name='aerosol-event-classifier-test'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    loaded = mlflow.pyfunc.load_model("models:/aerosol-event-classifier-test/2")
    assert loaded.metadata.signature is not None
    inputs = loaded.metadata.signature.inputs.input_dict()
    assert inputs["Year"].required and not inputs["HYY_DMPS.d300e1"].required
    assert "HYY_DMPS.d280e1" in inputs  # a channel of the other grid seen in training
    raw = raw_days()
    served = loaded.predict(raw)
    pd.testing.assert_frame_equal(served, model.classify(raw))
    other_grid = early_grid_day()
    served_other = loaded.predict(other_grid)
    assert served_other["status"].tolist() == ["classified"]
    pd.testing.assert_frame_equal(served_other, model.classify(other_grid))
    registered = dataset.load()
    assert (registered.version, registered.aliases[0]) == ("2", "challenger")
    assert registered.python_model.class_names == CLASSES
    pd.testing.assert_frame_equal(registered.predict(raw), model.classify(raw))
