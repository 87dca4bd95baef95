"""Helpers for the battery pipeline tests: a memory dataset the runner keeps, and a clean
kedro-mlflow hook between in-process sessions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kedro.io import MemoryDataset
from kedro_mlflow.framework.hooks.mlflow_hook import mlflow_hook


class KeptDataset(MemoryDataset):
    """A memory dataset the runner cannot release, so the test can read it afterwards."""

    def _release(self) -> None:
        return


@pytest.fixture
def fresh_mlflow_hook() -> Iterator[None]:
    """Forget the last MLflow run of kedro-mlflow's (process-wide) hook before and after.

    The hook keeps the run id of the last tracked pipeline and reopens it before every
    node, even in a later session whose pipeline has tracking disabled; in one pytest
    process that id belongs to another test's throw-away MLflow store.
    """
    mlflow_hook.run_id = None
    yield
    mlflow_hook.run_id = None
