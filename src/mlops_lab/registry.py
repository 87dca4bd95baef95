"""Register project models in the MLflow model registry through the catalog.

Every registered model of the project is an :class:`mlflow.pyfunc.PythonModel` that takes raw
records and includes its preprocessing. :class:`RegisteredPyfuncDataset` is its catalog
entry: saving logs the model to the active MLflow run (with its signature, its input example,
the project's code and pinned requirements) and registers a new version of ``model_name``;
loading returns the Python model of a registered ``version`` (a number or ``latest``).
"""

from __future__ import annotations

import logging
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, Protocol

import mlflow.pyfunc
import pandas as pd
from kedro.io import AbstractDataset
from mlflow.models import ModelSignature

import mlops_lab

logger = logging.getLogger(__name__)


class RegistrableModel(Protocol):
    """What a model needs to be registered: an input example and a signature."""

    input_example: pd.DataFrame

    def signature(self) -> ModelSignature: ...


def pinned_requirements(packages: list[str]) -> list[str]:
    """``name==version`` of each package as installed (naming them spares MLflow a slow
    inference of requirements in a subprocess that loads the model)."""
    return [f"{name}=={installed_version(name)}" for name in packages]


PythonModel = mlflow.pyfunc.PythonModel


class RegisteredPyfuncDataset(AbstractDataset[PythonModel, PythonModel]):
    """Log a pyfunc model to the active MLflow run and register it; load a registered version.

    Args:
        model_name: Registered model name (``aerosol-event-classifier``, ...).
        requirements: Packages the served model needs; pinned to the installed versions.
        version: Version loaded (a number or ``latest``).
        artifact_path: Name of the model in the run's artifacts.
        metadata: Kedro-viz and other metadata.
    """

    def __init__(
        self,
        model_name: str,
        requirements: list[str],
        version: str | int = "latest",
        artifact_path: str = "model",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._model_name = model_name
        self._requirements = list(requirements)
        self._version = version
        self._artifact_path = artifact_path
        self.metadata = metadata

    def _save(self, model: RegistrableModel) -> None:
        info = mlflow.pyfunc.log_model(
            name=self._artifact_path,
            python_model=model,
            registered_model_name=self._model_name,
            signature=model.signature(),
            input_example=model.input_example,
            pip_requirements=pinned_requirements(self._requirements),
            # The model's code (preprocessing included) travels with it.
            code_paths=[str(Path(mlops_lab.__file__).parent)],
        )
        logger.info(
            "Registered %s version %s (%s)",
            self._model_name,
            info.registered_model_version,
            info.model_uri,
        )

    def _load(self) -> PythonModel:
        uri = f"models:/{self._model_name}/{self._version}"
        return mlflow.pyfunc.load_model(uri).unwrap_python_model()

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self._model_name, "version": self._version}
