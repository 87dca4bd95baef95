"""Percentile bootstrap intervals of any figure computed from per-item results.

The figure is a function of the positions of the items it is computed on (test days,
held-out battery-days); the bootstrap calls it on resampled positions. With
``block > 1`` the positions are drawn in runs of ``block`` consecutive items (a circular
block bootstrap), for items in time order whose errors are correlated from one to the
next; with ``groups`` whole groups are drawn (a cluster bootstrap), for items that share a
cause of error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Positions are stored as 32-bit integers: a (1000, 6,000) matrix then takes 24 MB.
POSITION = np.int32
# Resamples a batched figure is computed on at once, so that its intermediate arrays stay
# at (CHUNK, n_items) whatever the number of resamples.
CHUNK = 100


@dataclass(frozen=True)
class Estimate:
    """A figure and its bootstrap interval."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def resampled_positions(n_items: int, resamples: int, seed: int, block: int = 1) -> np.ndarray:
    """``(resamples, n_items)`` positions drawn with replacement, in circular blocks.

    Raises:
        ValueError: without items or resamples, or with a block shorter than one item.
    """
    if n_items < 1 or resamples < 1 or block < 1:
        raise ValueError(
            f"bootstrap needs items, resamples and a block of at least 1; got {n_items} "
            f"items, {resamples} resamples, block {block}."
        )
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, n_items, size=(resamples, -(-n_items // block)), dtype=POSITION)
    runs = (starts[:, :, None] + np.arange(block, dtype=POSITION)) % n_items
    return runs.reshape(resamples, -1)[:, :n_items]


def grouped_positions(groups: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """``(resamples, n_items)`` positions drawn group by group (a cluster bootstrap).

    Each resample draws whole groups with replacement (every item of a drawn group) until
    it holds ``n_items`` positions, the last group cut to fit. For items that share a
    cause of error (notes written from one template family), so that the interval says
    how a figure varies with the groups and not only with the items. The same groups,
    resamples and seed give the same positions, drawn once and shared (read-only) by
    every figure computed on them.

    Raises:
        ValueError: without items or resamples.
    """
    groups = np.asarray(groups)
    if groups.size < 1 or resamples < 1:
        raise ValueError(
            f"bootstrap needs items and resamples; got {groups.size} items, {resamples} resamples."
        )
    return _grouped_positions(tuple(groups.tolist()), resamples, seed)


@functools.lru_cache(maxsize=4)
def _grouped_positions(groups: tuple, resamples: int, seed: int) -> np.ndarray:
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    order = np.argsort(codes, kind="stable")  # items group by group
    sizes = np.bincount(codes)
    starts = np.cumsum(sizes) - sizes
    n_items, rng = len(groups), np.random.default_rng(seed)
    # Enough groups per resample to hold n_items nearly always; a short row draws again.
    width = int(np.ceil(1.5 * n_items / sizes.mean())) + 8
    drawn = rng.integers(len(sizes), size=(resamples, width))
    held = np.cumsum(sizes[drawn], axis=1)
    while (held[:, -1] < n_items).any():
        more = rng.integers(len(sizes), size=(resamples, width))
        drawn = np.concatenate([drawn, more], axis=1)
        held = np.cumsum(sizes[drawn], axis=1)
    positions = np.empty((resamples, n_items), dtype=POSITION)
    for first in range(0, resamples, CHUNK):
        rows = slice(first, first + CHUNK)
        positions[rows] = _positions_in_drawn_groups(drawn[rows], held[rows], sizes, starts, order)
    positions.setflags(write=False)  # shared between callers
    return positions


def _positions_in_drawn_groups(
    drawn: np.ndarray, held: np.ndarray, sizes: np.ndarray, starts: np.ndarray, order: np.ndarray
) -> np.ndarray:
    """Item positions of each row's drawn groups, in drawing order, ``len(order)`` per row."""
    rows, n_items = len(drawn), len(order)
    # Position j of a row lies in the first drawn group whose running total passes j; rows
    # are offset so that one sorted search serves them all.
    offset = (held[:, -1].max() + 1) * np.arange(rows)[:, None]
    found = np.searchsorted((held + offset).ravel(), (np.arange(n_items) + offset).ravel(), "right")
    slot = found.reshape(rows, n_items) - held.shape[1] * np.arange(rows)[:, None]
    group = np.take_along_axis(drawn, slot, axis=1)
    before = np.take_along_axis(held, slot, axis=1) - sizes[group]  # items of earlier groups
    return order[starts[group] + np.arange(n_items) - before]


def in_chunks(figure: Callable[[np.ndarray], np.ndarray], positions: np.ndarray) -> np.ndarray:
    """``figure`` of the rows of ``positions``, :data:`CHUNK` rows a call, stacked: what one
    call on the whole matrix returns, with the intermediate arrays of one chunk."""
    return np.concatenate(
        [
            np.asarray(figure(positions[first : first + CHUNK]))
            for first in range(0, len(positions), CHUNK)
        ]
    )


def bootstrap(
    figure: Callable[[np.ndarray], float],
    n_items: int,
    resamples: int,
    seed: int,
    block: int = 1,
    level: float = 0.95,
    batched: bool = False,
    groups: np.ndarray | None = None,
    bias_corrected: bool = False,
) -> Estimate:
    """``figure`` on all items and its percentile interval over resampled items.

    With ``batched``, ``figure`` takes a ``(rows, n_items)`` matrix of positions,
    :data:`CHUNK` resamples at a time (:func:`in_chunks`), and returns one value per row
    (a numpy pass per chunk instead of a call per resample). With ``groups`` (one label
    per item), whole groups are resampled (:func:`grouped_positions`) instead of items or
    blocks. Resamples on which the figure is undefined (NaN) are left out of the interval.
    With ``bias_corrected``, the interval is moved by the bootstrap's estimate of the
    figure's bias (the mean over resamples minus the figure), for a figure that
    resampling itself inflates: a binned calibration error grows with the noise that
    drawing items with replacement adds, so its plain percentile interval can lie wholly
    above the figure.
    """
    positions = (
        resampled_positions(n_items, resamples, seed, block)
        if groups is None
        else grouped_positions(groups, resamples, seed)
    )
    if batched:
        value = float(np.ravel(figure(np.arange(n_items)[None, :]))[0])
        draws = np.ravel(in_chunks(figure, positions)).astype(float)
    else:
        value = float(figure(np.arange(n_items)))
        draws = np.array([figure(p) for p in positions], dtype=float)
    draws = draws[np.isfinite(draws)]
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(draws, [tail, 100 - tail]) if draws.size else (np.nan, np.nan)
    if bias_corrected and draws.size:
        bias = float(draws.mean()) - value
        low, high = low - bias, high - bias
    return Estimate(value, float(low), float(high))
