"""Held-out days: which labelled days train, early-stop and test the day classifiers.

Days of the same weather spell look alike, so a day next to a training day is not
held out in any useful sense. :func:`split_days` therefore assigns whole blocks of
consecutive days (``time_blocks``, the default) or whole years (``years``) to one part;
``random`` (single days) is the lab's original split, kept for comparison.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

PARTS = ("train", "validation", "test")
STRATEGIES = ("time_blocks", "years", "random")
MAX_ATTEMPTS = 100


def check_model_input(model_input: Mapping[str, Any], label_scheme: str) -> None:
    """Refuse a model input the classifiers cannot use, naming what is wrong.

    Raises:
        ValueError: no days, an unknown label scheme, a tensor that does not match the
            diameter grid, or missing values.
    """
    x = model_input.get("x")
    if x is None or len(x) == 0:
        raise ValueError("aerosol_model_input has no days (empty set); run aerosol_data first.")
    schemes = sorted(model_input.get("class_names", {}))
    if label_scheme not in schemes:
        raise ValueError(f"label_scheme '{label_scheme}': expected one of {schemes}.")
    expected = len(model_input["diameters_nm"])
    if x.ndim != 3 or x.shape[1] != expected:
        raise ValueError(
            f"aerosol_model_input: x has shape {x.shape}; expected days x {expected} "
            "channels x steps."
        )
    if not np.isfinite(x).all():
        raise ValueError(
            "aerosol_model_input: x contains NaN or infinite values; expected complete days."
        )


def class_names(model_input: Mapping[str, Any], label_scheme: str) -> list[str]:
    """The classes of ``label_scheme`` in the order the model input defines."""
    return [str(name) for name in model_input["class_names"][label_scheme]]


def part_indices(dates: Sequence, split: Mapping[str, Any], part: str) -> np.ndarray:
    """Positions of the days of ``part`` (``train``, ``validation``, ``test``) in ``dates``."""
    text = pd.DatetimeIndex(dates).strftime("%Y-%m-%d")
    return np.flatnonzero(text.isin(split[part]))


def _assign_blocks(
    blocks: np.ndarray, rng: np.random.Generator, test_fraction: float, validation_fraction: float
) -> dict[str, np.ndarray]:
    unique = np.unique(blocks)
    rng.shuffle(unique)
    n_test = max(1, round(len(unique) * test_fraction)) if test_fraction > 0 else 0
    n_validation = max(1, round(len(unique) * validation_fraction))
    test, validation = unique[:n_test], unique[n_test : n_test + n_validation]
    return {
        "test": np.isin(blocks, test),
        "validation": np.isin(blocks, validation),
        "train": ~np.isin(blocks, np.concatenate([test, validation])),
    }


def _draw(dates: pd.DatetimeIndex, split: Mapping[str, Any], rng: np.random.Generator) -> dict:
    strategy = split["strategy"]
    if strategy == "random":
        return _assign_blocks(
            np.arange(len(dates)), rng, split["test_fraction"], split["validation_fraction"]
        )
    blocks = ((dates - dates.min()).days // split["block_days"]).to_numpy()
    if strategy == "time_blocks":
        return _assign_blocks(blocks, rng, split["test_fraction"], split["validation_fraction"])
    held_out = np.asarray(dates.year.isin(split["test_years"]))
    other = _assign_blocks(blocks[~held_out], rng, 0.0, split["validation_fraction"])
    parts = {"test": held_out, "validation": np.zeros(len(dates), bool)}
    parts["validation"][~held_out] = other["validation"]
    parts["train"] = ~parts["test"] & ~parts["validation"]
    return parts


def split_days(dates: Sequence, labels: Sequence[str], split: Mapping[str, Any]) -> dict:
    """Assign every day to train, validation or test (seeded), every class in each part.

    Args:
        dates: One date per day.
        labels: The class of each day.
        split: ``strategy`` (:data:`STRATEGIES`), ``seed``, ``block_days``,
            ``test_fraction``, ``validation_fraction``, ``test_years`` (strategy
            ``years``). The assignment is redrawn with ``seed + 1``, ... until every
            class is in each part.

    Returns:
        ``{"strategy", "seed", "train", "validation", "test"}``, dates as ``YYYY-MM-DD``.

    Raises:
        ValueError: an unknown strategy, or no draw gives every class to every part.
    """
    strategy = split["strategy"]
    if strategy not in STRATEGIES:
        raise ValueError(f"split strategy '{strategy}': expected one of {list(STRATEGIES)}.")
    index = pd.DatetimeIndex(dates)
    values = np.asarray(labels)
    classes = set(values)
    for attempt in range(MAX_ATTEMPTS):
        parts = _draw(index, split, np.random.default_rng(split["seed"] + attempt))
        if all(set(values[parts[p]]) == classes for p in PARTS):
            break
    else:
        raise ValueError(
            f"could not give every class to train, validation and test with strategy "
            f"'{strategy}' on {len(index)} days; use more data or smaller blocks."
        )
    result: dict[str, Any] = {"strategy": strategy, "seed": split["seed"] + attempt}
    for part in PARTS:
        result[part] = index[parts[part]].strftime("%Y-%m-%d").tolist()
    return result
