"""The serving commands refuse, before serving, a model, alias or version the registry lacks.

Each case runs the real command as its own process (``python -m mlops_lab.serving``, and
``kedro serve`` in the project) against the session's SQLite registry
(:func:`tests.serving.conftest.registry_uri`, version 1 of every test model at
``@champion`` and ``@challenger``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import PROJECT_ROOT
from tests.serving.conftest import MODELS, free_port
from tests.serving.models import BATTERY, SLEEPY

KEDRO = Path(sys.executable).parent / "kedro"


def serve(arguments: list[str], cwd: Path, **environment: str) -> subprocess.CompletedProcess:
    """Run a serving command; it must end by itself (a server would hit the timeout)."""
    return subprocess.run(
        [*arguments, "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", **environment},
    )


def refusal(answer: subprocess.CompletedProcess) -> str:
    """The one message of a refused start (exit status 1, no traceback, nothing served)."""
    assert answer.returncode == 1, answer.stdout + answer.stderr
    assert "Traceback" not in answer.stdout + answer.stderr
    assert "Serving" not in answer.stdout
    [line] = [line for line in answer.stderr.splitlines() if line.startswith("Error: ")]
    return line


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (
            ["--model", "battery-cylces"],
            "Error: No registered model 'battery-cylces' in the registry {uri}; registered "
            f"models: {', '.join(sorted([*MODELS, SLEEPY]))}.",
        ),
        (
            ["--model", BATTERY, "--alias", "staging"],
            f"Error: Registered model '{BATTERY}' has no alias 'staging'; its aliases: "
            "challenger (version 1), champion (version 1); its versions: 1.",
        ),
        (
            ["--model", BATTERY, "--version", "7"],
            f"Error: Registered model '{BATTERY}' has no version 7; its versions: 1.",
        ),
    ],
    ids=["unknown-model", "unknown-alias", "unknown-version"],
)
def test_standalone_refuses_what_the_registry_lacks(registry_uri, tmp_path, options, expected):
    command = [sys.executable, "-m", "mlops_lab.serving", *options, "--tracking-uri", registry_uri]
    answer = serve(command, tmp_path)
    assert refusal(answer) == expected.format(uri=registry_uri)


def test_kedro_serve_refuses_an_unknown_model(registry_uri):
    # The azureml environment takes the registry from MLFLOW_TRACKING_URI (conf/azureml/mlflow.yml).
    command = [str(KEDRO), "serve", "-e", "azureml", "--model", "battery-cycles-lstn"]
    answer = serve(command, PROJECT_ROOT, MLFLOW_TRACKING_URI=registry_uri)
    assert refusal(answer).startswith(
        f"Error: No registered model 'battery-cycles-lstn' in the registry {registry_uri}; "
        "registered models: "
    )
