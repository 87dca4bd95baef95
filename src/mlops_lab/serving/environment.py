"""The Azure ML environment of the online deployments, rendered from its lock file.

``deploy/azureml/endpoints/requirements-inference.lock`` pins Azure ML's inference server
with the packages the registered models need (see ``requirements-inference.in`` for why it
is not the project's environment). ``make inference-env`` installs it locally (the tests
run the scoring script in it); this module writes the same pins as the conda file the
deployments build their image from, so the two cannot drift (a test compares them).

    python -m mlops_lab.serving.environment      # rewrites inference-conda.yml
"""

from __future__ import annotations

import argparse
from pathlib import Path

ENDPOINTS = Path("deploy/azureml/endpoints")
LOCK = ENDPOINTS / "requirements-inference.lock"
CONDA = ENDPOINTS / "inference-conda.yml"
PYTHON_VERSION = "3.11"
HEADER = "# Generated from requirements-inference.lock by `make inference-lock`; do not edit.\n"


def pins(lock_text: str) -> list[str]:
    """The ``name==version`` lines of a lock file (comments and blanks dropped)."""
    lines = (line.split("#")[0].strip() for line in lock_text.splitlines())
    return [line for line in lines if line]


def conda_file(lock_text: str) -> str:
    """The conda environment file with every pin of the lock."""
    body = [
        "name: mlops-lab-inference",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={PYTHON_VERSION}",
        "  - pip",
        "  - pip:",
        *[f"      - {pin}" for pin in pins(lock_text)],
    ]
    return HEADER + "\n".join(body) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="project root")
    root = parser.parse_args().root
    (root / CONDA).write_text(conda_file((root / LOCK).read_text()))
    print(f"wrote {CONDA}")


if __name__ == "__main__":
    main()
