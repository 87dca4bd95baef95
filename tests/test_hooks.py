"""Project hooks, exercised through real Kedro sessions (tracking: see test_tracking.py)."""

from __future__ import annotations

import os

import pytest
from kedro.framework.session import KedroSession

pytestmark = pytest.mark.slow


def test_storage_account_from_globals_reaches_adlfs(kedro_project, monkeypatch):
    monkeypatch.delenv("AZURE_STORAGE_ACCOUNT_NAME", raising=False)
    with KedroSession.create(project_path=kedro_project, env="azureml") as session:
        session.load_context()
    assert os.environ["AZURE_STORAGE_ACCOUNT_NAME"] == "<storage-account>"
