"""Project settings. See https://docs.kedro.org/en/stable/kedro_project_setup/settings.html."""

import os
from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.utils import find_kedro_project

from mlops_lab.battery.spark_session import SparkSessionHook
from mlops_lab.hooks import (
    AzureStorageAccountHook,
    DistributedWorkerHook,
    InputErrorContextHook,
    MaterialiseDatasetFactoriesHook,
    ProblemTrackingHook,
)

# No command of this project phones home: Kedro's and MLflow's usage telemetry are off
# unless a user explicitly turns them on in their environment.
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

# kedro-azureml registers its hooks through entry points. kedro-mlflow's hook opens one
# MLflow run per Kedro session; the project's ProblemTrackingHook opens one per problem
# instead (see mlops_lab.tracking), so kedro-mlflow's hook is disabled and its datasets,
# configuration and `kedro mlflow ui` are used as they are.
DISABLE_HOOKS_FOR_PLUGINS = ("kedro_mlflow",)  # the distribution name as installed
HOOKS = (
    ProblemTrackingHook(),
    InputErrorContextHook(),
    AzureStorageAccountHook(),
    MaterialiseDatasetFactoriesHook(),
    DistributedWorkerHook(),
    SparkSessionHook(),  # starts Spark only for pipelines with a Spark dataset
)

CONFIG_LOADER_CLASS = OmegaConfigLoader


def _env_or(name: str, default: str | None = None) -> str | None:
    """``${env_or:NAME,default}``: an environment variable with a fallback.

    Kedro keeps ``oc.env`` for credentials only; this narrower resolver lets the
    ``azureml`` environment take the MLflow URI that Azure ML sets inside a job.
    """
    return os.environ.get(name, default)


def _project_root() -> str:
    """``${project_root:}``: the Kedro project containing the working directory.

    Kedro commands and ``%load_ext kedro.ipython`` may start in a sub-folder (e.g.
    ``notebooks/``); anchoring the SQLite MLflow store here keeps one ``mlruns.db``.
    """
    return str(find_kedro_project(Path.cwd()) or Path.cwd())


CONFIG_LOADER_ARGS = {
    "custom_resolvers": {"env_or": _env_or, "project_root": _project_root},
    "base_env": "base",
    "default_run_env": "local",
    # kedro-azureml reads `azureml*` files, kedro-mlflow reads `mlflow*` files.
    "config_patterns": {
        "azureml": ["azureml*"],
        "mlflow": ["mlflow*"],
        "tracking": ["tracking*"],
        "spark": ["spark*"],
    },
}
