"""Tiny aerosol model inputs and classifiers shared by the aerosol model tests."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

from mlops_lab.aerosol.labels import CLASS_NAMES, label_schemes
from mlops_lab.aerosol.preprocessing import PreprocessingConfig

# The production settings on a coarser grid, to keep the test small.
PREPROCESSING = asdict(PreprocessingConfig(n_channels=8))


def tiny_model_input(n_days: int = 90, seed: int = 0) -> dict:
    """Days x 8 channels x 144 with a class signal: events light up the small channels."""
    rng = np.random.default_rng(seed)
    label5 = np.array(["Ia", "Ib", "II", "undefined", "nonevent"])[np.arange(n_days) % 5]
    x = rng.uniform(0.2, 0.4, (n_days, 8, 144)).astype(np.float32)
    strength = pd.Series(label5).map({"Ia": 0.5, "Ib": 0.4, "II": 0.3, "undefined": 0.15})
    x[:, :3, 60:100] += strength.fillna(0).to_numpy()[:, None, None].astype(np.float32)
    schemes = label_schemes(pd.Series(label5))
    return {
        "x": x,
        "dates": pd.date_range("2005-01-01", periods=n_days).to_numpy().astype("datetime64[D]"),
        "label5": schemes["label5"].to_numpy(dtype=str),
        "label4": schemes["label4"].to_numpy(dtype=str),
        "label3": schemes["label3"].to_numpy(dtype=str),
        "diameters_nm": np.geomspace(3, 1000, 8),
        "preprocessing": dict(PREPROCESSING),
        "class_names": {k: list(v) for k, v in CLASS_NAMES.items()},
        "note": "synthetic test tensors",
    }


@pytest.fixture
def model_input() -> dict:
    return tiny_model_input()


CNN = {
    "architecture": {
        "input_pool": [1, 3],
        "filters": [4],
        "kernel_size": [3, 3],
        "pool_size": [2, 2],
        "padding": "same",
        "dropout": 0.1,
        "dense_units": 8,
        "learning_rate": 0.01,
    },
    "epochs": 1,
    "batch_size": 16,
    "patience": 1,
    "ensemble_size": 1,
    "class_weight": None,
    "verbose": 0,
}
