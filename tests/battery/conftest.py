"""Fixtures of the battery domain tests."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.battery.synthetic import make_series


@pytest.fixture
def series() -> pd.DataFrame:
    return make_series({1: 220, 2: 180})
