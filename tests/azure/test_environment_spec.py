"""The Azure ML environment spec is the locked stack, and Azure's SDK accepts it."""

from pathlib import Path

import yaml

from mlops_lab.azure.environment import LOCAL_ONLY, package_name, read_lock, render_conda_spec

ROOT = Path(__file__).resolve().parents[2]


def test_checked_in_conda_spec_matches_the_lock():
    checked_in = yaml.safe_load((ROOT / "deploy/azureml/conda.yml").read_text())
    assert checked_in == render_conda_spec(read_lock(ROOT / "requirements.lock")), (
        "deploy/azureml/conda.yml is out of date: run `make env-spec`"
    )
    pins = checked_in["dependencies"][2]["pip"]
    names = {package_name(pin) for pin in pins}
    assert {"kedro", "kedro-azureml", "kedro-mlflow", "mlflow", "tensorflow"} <= names
    assert "tensorflow-cpu" not in names and not names & LOCAL_ONLY
    assert all("==" in pin for pin in pins)


def test_azure_sdk_loads_the_environment_definition():
    from azure.ai.ml import load_environment

    environment = load_environment(ROOT / "deploy/azureml/environment.yml")
    azureml = yaml.safe_load((ROOT / "conf/base/azureml.yml").read_text())
    assert f"{environment.name}@latest" == azureml["azure"]["environment_name"]
    assert environment.conda_file["dependencies"][0] == "python=3.11"
