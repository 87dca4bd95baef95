"""The Azure ML environment that runs every step: rendered from ``requirements.lock``.

The cloud image must run the very stack the laptop runs, so the conda specification in
``deploy/azureml/conda.yml`` is generated from the lock file (``make env-spec``) and a test
fails when the two drift apart. ``deploy/azureml/environment.yml`` is the Azure ML
environment definition (``az ml environment create -f deploy/azureml/environment.yml``)
named in ``conf/base/azureml.yml``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

PYTHON_VERSION = "3.11"
# Packages that only serve local development, tests or browser checks.
LOCAL_ONLY = {"pytest", "pytest-xdist", "ruff", "selenium", "nbclient", "ipykernel"}


def package_name(pin: str) -> str:
    """Normalised distribution name of a ``name==version`` pin (PEP 503)."""
    return pin.split("==")[0].strip().lower().replace("_", "-").replace(".", "-")


def read_lock(lock_path: Path) -> list[str]:
    """Pinned requirement lines of ``requirements.lock`` (comments and blanks dropped)."""
    lines = []
    for raw in lock_path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines


def render_conda_spec(pins: list[str], name: str = "mlops-lab") -> dict:
    """A conda environment with Python and every locked pin installed by pip."""
    runtime = [pin for pin in pins if package_name(pin) not in LOCAL_ONLY]
    return {
        "name": name,
        "channels": ["conda-forge"],
        "dependencies": [f"python={PYTHON_VERSION}", "pip", {"pip": runtime}],
    }


def main(argv: list[str] | None = None) -> None:
    """Write ``deploy/azureml/conda.yml`` from the lock file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=Path("requirements.lock"))
    parser.add_argument("--output", type=Path, default=Path("deploy/azureml/conda.yml"))
    args = parser.parse_args(argv)
    spec = render_conda_spec(read_lock(args.lock))
    header = "# Generated from requirements.lock by `make env-spec`; do not edit by hand.\n"
    args.output.write_text(header + yaml.safe_dump(spec, sort_keys=False))
    print(f"Wrote {args.output} ({len(spec['dependencies'][2]['pip'])} pinned packages)")


if __name__ == "__main__":
    main()
