"""Registered models for the serving tests: every lane's real model class, kept tiny.

Each is built the way its lane's own tests build it (small data, untrained or briefly
trained networks, a logistic regression on part of the real maintenance file) and
registered through :class:`mlops_lab.registry.RegisteredModelDataset` into a throw-away
SQLite registry, so the server loads exactly what the registry holds. ``SleepyModel``
waits before answering, to test timeouts and graceful shutdown.
"""

from __future__ import annotations

import time
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import yaml
from mlflow.models import ModelSignature, infer_signature
from tests.battery.synthetic import make_series
from tests.conftest import PROJECT_ROOT

from mlops_lab.registry import RegisteredModelDataset

BATTERY = "battery-cycles"
AEROSOL = "aerosol-event-classifier"
COMPONENTS = "component-compliance"
MAINTENANCE = "car-maintenance"
LSTM = "battery-cycles-lstm"
SLEEPY = "sleepy-model"


class SleepyModel(mlflow.pyfunc.PythonModel):
    """Waits ``seconds`` (the largest of the request), then echoes them."""

    def __init__(self) -> None:
        self.input_example = pd.DataFrame({"seconds": [0.01]})

    def signature(self) -> ModelSignature:
        return infer_signature(self.input_example, self.predict(None, self.input_example))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        time.sleep(float(model_input["seconds"].max()))
        return pd.DataFrame({"slept": model_input["seconds"].astype(float)})


def battery_model():
    """``BatteryCyclesModel``: a ridge regression on lag features of two batteries."""
    from mlops_lab.battery.candidates import build_forecaster
    from mlops_lab.battery.model import BatteryCyclesModel, error_quantiles, future_frame

    history = make_series({1: 200, 2: 150})
    spec = {
        "kind": "regression",
        "params": {
            "estimator": "sklearn.linear_model.Ridge",
            "features": {"lags": [7, 14], "windows": [7], "same_weekday_weeks": 1},
        },
    }
    forecaster = build_forecaster(spec["kind"], spec["params"]).fit(history)
    errors = pd.DataFrame({"y_true": 0.1 + np.linspace(-0.01, 0.01, 21), "y_pred": 0.1})
    example = future_frame(history, 3, pd.Series(50.0, index=range(6)))
    return BatteryCyclesModel(forecaster, error_quantiles(errors), example, "ridge", spec)


def aerosol_model():
    """``AerosolDayClassifier`` with the aerosol tests' tiny (untrained) CNN."""
    from tests.pipelines.particle_classification.test_model import classifier

    return classifier()


def components_model():
    """``ComponentComplianceModel`` with a fitted vocabulary and an untrained network."""
    from tests.components.small_model import untrained_package

    return untrained_package(max_chars=200)


def maintenance_model():
    """``CarMaintenanceModel`` of the registered framing: a logistic regression on 600 real visits.

    The framing (and so the raw fields the endpoint asks for) is the one
    ``maintenance_training`` registers, read from its parameters.
    """
    from mlops_lab.maintenance.candidates import build_candidate
    from mlops_lab.maintenance.features import TARGET, derive_features
    from mlops_lab.maintenance.model import CarMaintenanceModel
    from mlops_lab.pipelines.maintenance_data.nodes import parse_maintenance_visits

    parameters = PROJECT_ROOT / "conf/base/parameters_maintenance_training.yml"
    training = yaml.safe_load(parameters.read_text())["maintenance_training"]
    name = training["model_card"]["framing"]
    framing = {"name": name, **training["framings"][name]}
    raw = pd.read_csv(PROJECT_ROOT / "data/01_raw/maintenance/car-maintenance-data.csv", nrows=600)
    visits = derive_features(parse_maintenance_visits(raw))
    estimator = build_candidate("lr", {"kind": "logistic_regression"}, framing["features"], 0)
    estimator.fit(visits[framing["features"]], visits[TARGET])
    return CarMaintenanceModel(estimator, framing, 0.5, raw.tail(3))


def lstm_model():
    """``BatteryLstmModel``: one epoch of a 4-unit LSTM on 7-day windows of two batteries."""
    from mlops_lab.pipelines.battery_deep_forecasting.nodes import train_battery_lstm

    model, _ = train_battery_lstm(
        make_series({1: 60, 2: 60}),
        horizon=3,
        windows={"length": 7, "stride": 2, "validation_days": 10},
        network={"units": [4], "dense_units": 0},
        training={
            "learning_rate": 0.01,
            "batch_size": 64,
            "max_epochs": 1,
            "early_stopping": {"patience": 1, "min_delta": 0.0},
        },
        seed=0,
    )
    return model


BUILDERS = {
    BATTERY: battery_model,
    AEROSOL: aerosol_model,
    COMPONENTS: components_model,
    MAINTENANCE: maintenance_model,
    LSTM: lstm_model,
    SLEEPY: SleepyModel,
}


def register_all(uri: str) -> dict[str, Any]:
    """Register one version of every model in the registry at ``uri``; the models by name."""
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    models = {}
    for name, build in BUILDERS.items():
        models[name] = build()
        with mlflow.start_run():
            RegisteredModelDataset(model_name=name, reference="challenger").save(models[name])
        mlflow.MlflowClient().set_registered_model_alias(name, "champion", "1")
    return models
