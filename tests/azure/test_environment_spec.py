"""The Azure ML environments are the locked runtime stack, and Azure's SDK accepts them."""

import ast
import importlib.metadata as metadata
import sys
from pathlib import Path

import pytest
import yaml

from mlops_lab.azure.environment import (
    ENVIRONMENTS,
    NOT_IN_IMAGE,
    WITH_PYTHON,
    gpu_pins,
    package_name,
    read_lock,
    render_conda_spec,
    runtime_pins,
)

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS_DIR = ROOT / "deploy/azureml/environments"
# The images run Python 3.11 on Linux; the closure is read from the installed metadata,
# which on another interpreter follows other markers.
on_image_python = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11), reason="the Azure ML images run Python 3.11"
)


def _pins(folder: str) -> list[str]:
    spec = yaml.safe_load((ENVIRONMENTS_DIR / folder / "conda.yml").read_text())
    return spec["dependencies"][2]["pip"]


@on_image_python
def test_checked_in_specs_are_rendered_from_the_locks():
    cpu = runtime_pins(read_lock(ROOT / "requirements.lock"), ROOT / "pyproject.toml")
    gpu = gpu_pins(cpu, read_lock(ROOT / "requirements-gpu.lock"))
    for spec, pins in zip(ENVIRONMENTS, (cpu, gpu), strict=True):
        checked_in = yaml.safe_load((ENVIRONMENTS_DIR / spec.folder / "conda.yml").read_text())
        assert checked_in == render_conda_spec(pins, spec.name), (
            f"deploy/azureml/environments/{spec.folder}/conda.yml is out of date: "
            "run `make env-spec`"
        )


def test_images_hold_the_runtime_packages_only():
    lock = {package_name(pin): pin for pin in read_lock(ROOT / "requirements.lock")}
    cpu = {package_name(pin): pin for pin in _pins("cpu")}
    assert {"kedro", "kedro-azureml", "kedro-mlflow", "mlflow", "tensorflow", "pyspark"} <= set(cpu)
    assert all(lock[name] == pin for name, pin in cpu.items()), "a pin differs from the lock"
    dev_only = {"pytest", "pytest-xdist", "ruff", "selenium", "nbclient", "ipykernel"}
    dev_only |= {"hypothesis", "ipython", "jupyter-client"}
    assert not set(cpu) & (dev_only | NOT_IN_IMAGE | {"tensorflow-cpu"})


def test_the_gpu_image_adds_tensorflows_cuda_wheels_to_the_same_pins():
    cpu, gpu = _pins("cpu"), _pins("gpu")
    tensorflow = next(pin for pin in cpu if package_name(pin) == "tensorflow")
    version = tensorflow.split("==")[1]
    assert f"tensorflow[and-cuda]=={version}" in gpu and tensorflow not in gpu
    added = {package_name(pin) for pin in gpu} - {package_name(pin) for pin in cpu}
    wanted = {
        package_name(line.split(";")[0])
        for line in metadata.requires("tensorflow")
        if 'extra == "and-cuda"' in line
    }
    assert added == wanted, "requirements-gpu.lock must be exactly TensorFlow's CUDA wheels"
    assert all("==" in pin for pin in gpu)


@on_image_python
def test_every_third_party_module_the_project_imports_is_in_the_image():
    provided = metadata.packages_distributions()
    image = {package_name(pin) for pin in _pins("cpu")} | WITH_PYTHON
    imported = set()
    for path in (ROOT / "src/mlops_lab").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    missing = {
        module: provided[module]
        for module in imported - set(sys.stdlib_module_names) - {"mlops_lab"}
        if module in provided and not {package_name(d) for d in provided[module]} & image
    }
    assert not missing, f"imported by src/ but not in the image: {missing}"


@pytest.mark.parametrize("spec", ENVIRONMENTS, ids=lambda spec: spec.folder)
def test_azure_sdk_loads_each_environment(spec):
    from azure.ai.ml import load_environment

    environment = load_environment(ENVIRONMENTS_DIR / spec.folder / "environment.yml")
    assert environment.name == spec.name
    assert environment.image == spec.image
    assert environment.conda_file["dependencies"][0] == "python=3.11"
    assert ("cuda" in environment.image) == spec.gpu


def test_azureml_config_names_the_cpu_environment():
    azureml = yaml.safe_load((ROOT / "conf/base/azureml.yml").read_text())
    assert azureml["azure"]["environment_name"] == "mlops-lab-cpu@latest"


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
