"""Execute a notebook headless against a (copied) Kedro project, so notebooks cannot rot."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def execute_notebook(name: str, project: Path, env: str = "test", timeout: int = 600) -> None:
    """Run ``notebooks/<name>`` with its working directory in ``project``.

    The notebook loads the project with ``%load_ext kedro.ipython``, which reads the
    environment from ``KEDRO_ENV``; any failing cell raises ``CellExecutionError``.
    """
    notebook = nbformat.read(PROJECT_ROOT / "notebooks" / name, as_version=4)
    previous = os.environ.get("KEDRO_ENV")
    os.environ["KEDRO_ENV"] = env
    os.environ["MPLBACKEND"] = "Agg"
    try:
        NotebookClient(
            notebook,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(project)}},
        ).execute()
    finally:
        if previous is None:
            os.environ.pop("KEDRO_ENV", None)
        else:
            os.environ["KEDRO_ENV"] = previous
