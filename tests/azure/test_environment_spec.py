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


def _pinned_lists(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pip_requirements":
                yield value
            else:
                yield from _pinned_lists(value)
    elif isinstance(node, list):
        for value in node:
            yield from _pinned_lists(value)


MODEL_MODULES = (
    "mlops_lab.aerosol.model",
    "mlops_lab.battery.model",
    "mlops_lab.components.model",
)


def test_registered_models_are_pinned_to_the_locked_stack_not_by_hand():
    """Pins are derived from what each model imports; they must be the locked versions."""
    from mlops_lab.registry import code_closure, derived_requirements

    for path in sorted((ROOT / "conf").rglob("catalog*.yml")):
        assert not list(_pinned_lists(yaml.safe_load(path.read_text()))), (
            f"{path.relative_to(ROOT)}: hand-written pip_requirements"
        )
    locked = {
        package_name(pin): pin.split("==")[1] for pin in read_lock(ROOT / "requirements.lock")
    }
    for module in MODEL_MODULES:
        _, third_party = code_closure([module])
        pins = derived_requirements(third_party)
        assert any(pin.startswith("pandas==") for pin in pins), (module, pins)
        for pin in pins:
            name, _, version = pin.partition("==")
            assert locked.get(package_name(name)) == version, (
                f"{module}: derived {pin} but requirements.lock has "
                f"{package_name(name)}=={locked.get(package_name(name))}"
            )
