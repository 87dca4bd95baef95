"""Registered ``component-compliance`` versions for the inference tests."""

from __future__ import annotations

import pytest
from tests.components.small_model import trained_package

from mlops_lab.registry import RegisteredModel


@pytest.fixture(scope="module")
def registered_model() -> RegisteredModel:
    """The trained package as the catalog's champion entry gives it (max 60 characters)."""
    return RegisteredModel(
        name="component-compliance",
        version="7",
        run_id="run-7",
        aliases=("champion",),
        python_model=trained_package(max_chars=60),
    )
