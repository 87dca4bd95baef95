"""Kedro dataset that registers the ``battery-cycles`` model in MLflow and loads it back."""

from __future__ import annotations

from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import mlflow.pyfunc
from kedro.io import AbstractDataset

import mlops_lab
from mlops_lab.battery.model import BatteryCyclesModel

RUNTIME_PACKAGES = (
    "mlflow",
    "cloudpickle",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "statsmodels",
    "pandera",
)
"""What the model needs to load and forecast, pinned to the installed versions (naming them
spares MLflow its slow inference of requirements in a subprocess)."""


class RegisteredModelDataset(AbstractDataset[BatteryCyclesModel, BatteryCyclesModel]):
    """Logs a :class:`BatteryCyclesModel` to the active MLflow run and registers it; loads a
    registered version.

    Saving infers the signature from the model's input example and its forecasts, and
    registers a new version of ``model_name``. Loading returns the Python model of
    ``version`` (a number or ``latest``).
    """

    def __init__(
        self,
        model_name: str,
        version: str | int = "latest",
        artifact_path: str = "model",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._model_name, self._version, self._artifact_path = model_name, version, artifact_path
        self.metadata = metadata

    def _save(self, model: BatteryCyclesModel) -> None:
        from mlflow.models import infer_signature

        example = model.input_example
        signature = infer_signature(example, model.forecast(example))
        mlflow.pyfunc.log_model(
            name=self._artifact_path,
            python_model=model,
            code_paths=[str(Path(mlops_lab.__file__).parent)],
            pip_requirements=[f"{name}=={installed_version(name)}" for name in RUNTIME_PACKAGES],
            registered_model_name=self._model_name,
            signature=signature,
            input_example=example,
        )

    def _load(self) -> BatteryCyclesModel:
        return mlflow.pyfunc.load_model(
            f"models:/{self._model_name}/{self._version}"
        ).unwrap_python_model()

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self._model_name, "version": self._version}
