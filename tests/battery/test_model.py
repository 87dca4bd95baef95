"""The registered model: forecasts and intervals on raw records, registry round trip."""

from __future__ import annotations

import sys
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest

from mlops_lab.battery.candidates import build_forecaster
from mlops_lab.battery.model import BatteryCyclesModel, error_quantiles, future_frame
from mlops_lab.registry import RegisteredModelDataset
from mlops_lab.validation import InputValidationError


def _model(series: pd.DataFrame) -> BatteryCyclesModel:
    forecaster = build_forecaster(
        "arima", {"order": [1, 0, 0], "covariates": ["Daily_Trip_Duration"]}
    )
    forecaster.fit(series)
    rng = np.random.default_rng(0)
    errors = pd.DataFrame(
        {"Battery_ID": np.repeat([1, 2], 50), "y_true": rng.normal(0.1, 0.01, 100), "y_pred": 0.1}
    )
    example = future_frame(series, 2).assign(Daily_Trip_Duration=50.0)
    return BatteryCyclesModel(forecaster, error_quantiles(errors), example, "arima test")


def test_future_frame_continues_dates_and_ages(series: pd.DataFrame) -> None:
    future = future_frame(series, 30)
    assert future.groupby("Battery_ID").size().to_dict() == {1: 30, 2: 30}
    first = future.groupby("Battery_ID").first()
    last = series.groupby("Battery_ID").last()
    assert (first["Date"] == last["Date"] + pd.Timedelta(days=1)).all()
    assert (first["Battery_Age_Days"] == last["Battery_Age_Days"] + 1).all()


def test_forecasts_come_with_ordered_intervals(series: pd.DataFrame) -> None:
    model = _model(series)
    records = future_frame(series, 30).assign(Daily_Trip_Duration=55.0)
    output = model.predict(None, records)
    assert len(output) == 60
    assert list(output.columns) == [
        "Date",
        "Battery_ID",
        "forecast",
        "lower_95",
        "lower_80",
        "upper_80",
        "upper_95",
    ]
    ordered = output[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]].to_numpy()
    assert (np.diff(ordered, axis=1) >= 0).all()
    with pytest.raises(InputValidationError, match="Daily_Trip_Duration"):
        model.predict(None, records.drop(columns="Daily_Trip_Duration"))


def test_refit_rebuilds_the_same_configuration_on_another_history(series: pd.DataFrame) -> None:
    spec = {"kind": "average", "params": {"window": 7}}
    errors = pd.DataFrame({"y_true": [1.0, 1.1], "y_pred": [1.0, 1.0]})
    model = BatteryCyclesModel(
        build_forecaster("average", {"window": 7}).fit(series),
        error_quantiles(errors),
        future_frame(series, 1),
        "average",
        spec=spec,
    )
    history = series.groupby("Battery_ID").head(100)
    refitted = model.refit(history)
    forecast = refitted.forecast(future_frame(history, 3))
    expected = history.groupby("Battery_ID")["Daily_Cycles_Used"].apply(
        lambda y: y.iloc[-7:].mean()
    )
    np.testing.assert_allclose(forecast["forecast"], np.repeat(expected.to_numpy(), 3))
    # The registered model itself is untouched: it still forecasts after its own history.
    first = model.forecast(future_frame(series, 1)).set_index("Battery_ID")["Date"]
    assert (first == series.groupby("Battery_ID")["Date"].max() + pd.Timedelta(days=1)).all()
    with pytest.raises(ValueError, match="no spec"):
        BatteryCyclesModel(model.forecaster, model.quantiles, model.input_example, "x").refit(
            history
        )


def test_registered_model_dataset_registers_a_new_version_each_save(
    series: pd.DataFrame, mlflow_sqlite: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mlflow.pyfunc.load_model puts the model's code copy first on sys.path: restore it,
    # or joblib workers started by later tests import the project from that partial copy.
    monkeypatch.setattr(sys, "path", list(sys.path))
    dataset = RegisteredModelDataset(model_name="battery-cycles-test", reference="challenger")
    model = _model(series)
    with mlflow.start_run():
        dataset.save(model)
    with mlflow.start_run():
        dataset.save(model)
    versions = mlflow.MlflowClient().search_model_versions("name='battery-cycles-test'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    loaded = dataset.load()
    assert (loaded.version, loaded.aliases[0]) == ("2", "challenger")
    records = future_frame(series, 3).assign(Daily_Trip_Duration=55.0)
    pd.testing.assert_frame_equal(loaded.predict(records), model.forecast(records))
    pyfunc = mlflow.pyfunc.load_model("models:/battery-cycles-test/2")
    assert [c.name for c in pyfunc.metadata.signature.inputs] == [
        "Date",
        "Battery_ID",
        "Battery_Age_Days",
        "Daily_Trip_Duration",
    ]
    requirements = Path(
        mlflow.artifacts.download_artifacts("models:/battery-cycles-test/2/requirements.txt")
    ).read_text()
    assert "statsforecast==" in requirements and "tensorflow" not in requirements
    served = pyfunc.predict(records)
    np.testing.assert_allclose(served["forecast"], model.forecast(records)["forecast"])
