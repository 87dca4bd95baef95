"""Project settings. See https://docs.kedro.org/en/stable/kedro_project_setup/settings.html."""

from kedro.config import OmegaConfigLoader

from mlops_lab.hooks import MlflowExperimentPerPipelineHook

# kedro-mlflow and kedro-azureml register their own hooks through entry points.
HOOKS = (MlflowExperimentPerPipelineHook(),)

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # kedro-azureml reads `azureml*` files, kedro-mlflow reads `mlflow*` files.
    "config_patterns": {
        "azureml": ["azureml*"],
        "mlflow": ["mlflow*"],
    },
}
