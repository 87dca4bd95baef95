"""The Azure ML environments that run the compiled steps, rendered from the lock files.

The cloud image must run the very stack the laptop runs, so both environment
specifications are generated (``make env-spec``) and a test fails when they drift:

- ``deploy/azureml/environments/cpu``: every step on the CPU cluster. Its pins are the
  runtime closure of the project's dependencies in ``requirements.lock``: what
  ``[project].dependencies`` needs, transitively, on Linux with Python 3.11, minus the
  inspection tools (kedro-viz) and the ``dev`` extra (tests, notebooks, browser checks).
- ``deploy/azureml/environments/gpu``: nodes tagged ``gpu`` (Keras training) on the GPU
  cluster. The same pins with ``tensorflow[and-cuda]`` and TensorFlow's CUDA/cuDNN wheels
  from ``requirements-gpu.lock`` (resolved by ``make lock``), on a CUDA base image.

The runtime closure is read from the installed distributions' metadata (the environment
``make install`` built from the lock); a version that differs from the lock is an error.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml
from packaging.markers import default_environment
from packaging.requirements import Requirement

PYTHON_VERSION = "3.11"
# Top-level dependencies that serve people, not steps: `kedro viz` runs on a laptop.
NOT_IN_IMAGE = {"kedro-viz"}
# Installed with the interpreter in every image (and left out of `pip freeze`).
WITH_PYTHON = {"pip", "setuptools", "wheel"}
HEADER = "# Generated from {source} by `make env-spec`; do not edit by hand.\n"


@dataclass(frozen=True)
class EnvironmentSpec:
    """One Azure ML environment: its folder, name, base image and description."""

    folder: str
    name: str
    image: str
    description: str
    gpu: bool = False


ENVIRONMENTS = (
    EnvironmentSpec(
        folder="cpu",
        name="mlops-lab-cpu",
        image="mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest",
        description="CPU steps of the mlops-lab pipelines: the runtime closure of "
        "requirements.lock (Kedro, TensorFlow, MLflow, statsforecast, PySpark).",
    ),
    EnvironmentSpec(
        folder="gpu",
        name="mlops-lab-gpu",
        image="mcr.microsoft.com/azureml/openmpi5.0-cuda12.4-ubuntu22.04:latest",
        description="GPU steps (nodes tagged `gpu`): the CPU environment's pins with "
        "TensorFlow's CUDA and cuDNN wheels (requirements-gpu.lock) on a CUDA 12 image.",
        gpu=True,
    ),
)


def package_name(pin: str) -> str:
    """Normalised distribution name of a ``name==version`` pin (PEP 503)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[=\[<>~! ;]", pin, maxsplit=1)[0].strip()).lower()


def read_lock(lock_path: Path) -> list[str]:
    """Pinned requirement lines of a lock file (comments and blanks dropped)."""
    lines = []
    for raw in lock_path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def _target_environment(extra: str = "") -> dict[str, str]:
    """Marker environment of the image: Linux, CPython 3.11."""
    env = default_environment()
    env.update(
        python_version=PYTHON_VERSION,
        python_full_version=f"{PYTHON_VERSION}.0",
        sys_platform="linux",
        platform_system="Linux",
        os_name="posix",
        implementation_name="cpython",
        platform_python_implementation="CPython",
        extra=extra,
    )
    return env


def _applies(requirement: Requirement, extras: Iterable[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate(_target_environment(e)) for e in ("", *extras))


def runtime_roots(pyproject: Path) -> list[Requirement]:
    """``[project].dependencies`` that belong in the image."""
    project = tomllib.loads(pyproject.read_text())["project"]
    roots = [Requirement(line) for line in project["dependencies"]]
    return [r for r in roots if package_name(r.name) not in NOT_IN_IMAGE and _applies(r, ())]


def runtime_closure(roots: Iterable[Requirement]) -> set[str]:
    """Normalised names of every distribution ``roots`` need, transitively.

    Extras are followed (``kedro-datasets[spark-sparkdataset]`` brings PySpark), markers
    are evaluated for the image, and the metadata comes from the installed distributions.
    """
    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    todo = [(package_name(r.name), frozenset(r.extras)) for r in roots]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        names.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError as error:
            raise RuntimeError(
                f"{name} is needed at run time but not installed: run `make install` "
                "(the environment specs are rendered from the installed lock)."
            ) from error
        for line in requires:
            requirement = Requirement(line)
            if _applies(requirement, extras):
                todo.append((package_name(requirement.name), frozenset(requirement.extras)))
    return names


def runtime_pins(lock: list[str], pyproject: Path) -> list[str]:
    """The lock's pins that the steps need, in lock order."""
    closure = runtime_closure(runtime_roots(pyproject)) - WITH_PYTHON
    locked = {package_name(pin): pin for pin in lock}
    missing = sorted(closure - set(locked))
    if missing:
        raise RuntimeError(
            f"requirements.lock has no pin for {', '.join(missing)}: run `make lock`."
        )
    for name in closure:
        installed = metadata.version(name)
        pinned = locked[name].split("==", 1)[1]
        if installed != pinned:
            raise RuntimeError(
                f"{name} {installed} is installed but requirements.lock pins {pinned}: "
                "run `make install` before `make env-spec`."
            )
    return [pin for pin in lock if package_name(pin) in closure]


def render_conda_spec(pins: list[str], name: str) -> dict:
    """A conda environment with Python and every pin installed by pip."""
    return {
        "name": name,
        "channels": ["conda-forge"],
        "dependencies": [f"python={PYTHON_VERSION}", "pip", {"pip": pins}],
    }


def gpu_pins(cpu_pins: list[str], gpu_lock: list[str]) -> list[str]:
    """The CPU pins with TensorFlow's ``and-cuda`` extra and its CUDA wheels."""
    pins = [
        f"tensorflow[and-cuda]=={pin.split('==', 1)[1]}"
        if package_name(pin) == "tensorflow"
        else pin
        for pin in cpu_pins
    ]
    return pins + gpu_lock


def gpu_lock_from_report(report: dict, lock: list[str]) -> list[str]:
    """Pins of what ``pip install --dry-run --report`` of ``tensorflow[and-cuda]`` adds.

    The report is pip's resolution with ``requirements.lock`` as constraints, so every
    package of the lock keeps its version and only TensorFlow's CUDA wheels are new.
    """
    locked = {package_name(pin) for pin in lock} | WITH_PYTHON
    added = {
        f"{item['metadata']['name']}=={item['metadata']['version']}"
        for item in report["install"]
        if package_name(item["metadata"]["name"]) not in locked
    }
    return sorted(added, key=package_name)


def render_environment(spec: EnvironmentSpec) -> dict:
    """The Azure ML environment definition (``az ml environment create -f``)."""
    return {
        "$schema": "https://azuremlschemas.azureedge.net/latest/environment.schema.json",
        "name": spec.name,
        "description": spec.description,
        "image": spec.image,
        "conda_file": "conda.yml",
    }


def write_environments(root: Path, lock: Path, gpu_lock: Path, pyproject: Path) -> dict[str, int]:
    """Write ``environment.yml`` and ``conda.yml`` of each environment; pins per name."""
    cpu = runtime_pins(read_lock(lock), pyproject)
    counts = {}
    for spec in ENVIRONMENTS:
        pins = gpu_pins(cpu, read_lock(gpu_lock)) if spec.gpu else cpu
        folder = root / spec.folder
        folder.mkdir(parents=True, exist_ok=True)
        source = f"{lock.name} and {gpu_lock.name}" if spec.gpu else lock.name
        (folder / "conda.yml").write_text(
            HEADER.format(source=source)
            + yaml.safe_dump(render_conda_spec(pins, spec.name), sort_keys=False)
        )
        (folder / "environment.yml").write_text(
            HEADER.format(source="mlops_lab.azure.environment")
            + f"#   az ml environment create -f {folder.as_posix()}/environment.yml\n"
            + yaml.safe_dump(render_environment(spec), sort_keys=False)
        )
        counts[spec.name] = len(pins)
    return counts


def main(argv: list[str] | None = None) -> None:
    """Write the CPU and GPU environment specs from the lock files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=Path("requirements.lock"))
    parser.add_argument("--gpu-lock", type=Path, default=Path("requirements-gpu.lock"))
    parser.add_argument("--pyproject", type=Path, default=Path("pyproject.toml"))
    parser.add_argument("--output", type=Path, default=Path("deploy/azureml/environments"))
    parser.add_argument(
        "--gpu-report",
        type=Path,
        help="pip's --dry-run --report JSON of tensorflow[and-cuda]: rewrite --gpu-lock first",
    )
    args = parser.parse_args(argv)
    if args.gpu_report:
        report = json.loads(args.gpu_report.read_text())
        pins = gpu_lock_from_report(report, read_lock(args.lock))
        args.gpu_lock.write_text("\n".join(pins) + "\n")
        print(f"Wrote {args.gpu_lock} ({len(pins)} CUDA wheels)")
    counts = write_environments(args.output, args.lock, args.gpu_lock, args.pyproject)
    for name, count in counts.items():
        print(f"Wrote {args.output}/{name.removeprefix('mlops-lab-')} ({count} pinned packages)")


if __name__ == "__main__":
    main()
