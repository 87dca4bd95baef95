"""Which sizes and hours of a day drove the CNN's class: occlusion over the day image.

A day is a ``channels x steps`` image (scaled dN/dlogDp). Occlusion covers one patch of
``channels x steps`` at a time with the same pixels of a baseline image (the mean
training day), and records how much the probability of the class the model gave the
day drops: a large drop means the patch carried what the model based its class on; a
negative value means the patch argued against it. All occluded copies of all explained
days go through the network in one ``predict`` call.

Attributions travel between nodes as a plain dict of arrays (:func:`occlusion_record`),
and are drawn over the day's surface ("banana") plot by :func:`attribution_figure`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from mlops_lab.aerosol.plots import diameter_edges_nm, draw_day

logger = logging.getLogger(__name__)

DIAMETER_TICKS_NM = (3, 10, 30, 100, 300, 1000)


def patch_edges(size: int, patch: int) -> np.ndarray:
    """Edges ``0, patch, 2 * patch, ..., size`` of consecutive patches along one axis.

    Raises:
        ValueError: for a patch that is not between 1 and ``size``.
    """
    if not 1 <= patch <= size:
        raise ValueError(f"occlusion patch of {patch} must be between 1 and {size} (the axis).")
    return np.unique(np.append(np.arange(0, size, patch), size))


@dataclass(frozen=True)
class Occlusion:
    """Drops of the explained class's probability per patch, and what they refer to.

    ``drops``: days x patches along channels x patches along steps; ``channel_edges``
    and ``step_edges``: the patch edges (pixel indices); ``probabilities``: the model's
    class probabilities of the uncovered days; ``target``: the explained class of each.
    """

    drops: np.ndarray
    channel_edges: np.ndarray
    step_edges: np.ndarray
    probabilities: np.ndarray
    target: np.ndarray


def occlusion(
    predict: Callable[[np.ndarray], np.ndarray],
    days: np.ndarray,
    baseline: np.ndarray,
    patch: tuple[int, int],
    target: np.ndarray | None = None,
    batch_size: int = 128,
) -> Occlusion:
    """Drop of each day's ``target`` class probability when each patch is occluded.

    Args:
        predict: Class probabilities of a batch ``n x channels x steps``; called on the
            days and all their covered copies, ``batch_size`` images at a time (the
            network's activations of one call, not the images, set the memory).
        days: The days to explain, ``n x channels x steps``.
        baseline: ``channels x steps`` pixels pasted over each patch.
        patch: ``(channels, steps)`` of a patch; patches tile the image.
        target: Index of the explained class of each day (default: the predicted one).
        batch_size: Images per call of ``predict``.
    """
    days = np.asarray(days, dtype=np.float32)
    if days.ndim != 3 or baseline.shape != days.shape[1:]:
        raise ValueError(
            f"occlusion needs days n x channels x steps and a baseline of channels x steps; "
            f"got {days.shape} and {baseline.shape}."
        )
    channel_edges = patch_edges(days.shape[1], patch[0])
    step_edges = patch_edges(days.shape[2], patch[1])
    cells = [
        (slice(c0, c1), slice(s0, s1))
        for c0, c1 in pairwise(channel_edges)
        for s0, s1 in pairwise(step_edges)
    ]
    occluded = np.repeat(days[:, None], len(cells), axis=1)
    for k, (channels, steps) in enumerate(cells):
        occluded[:, k, channels, steps] = baseline[channels, steps]
    batch = np.concatenate([days, occluded.reshape(-1, *days.shape[1:])])
    probabilities = np.concatenate(
        [
            np.asarray(predict(batch[first : first + batch_size]))
            for first in range(0, len(batch), batch_size)
        ]
    )
    original = probabilities[: len(days)]
    target = original.argmax(axis=1) if target is None else np.asarray(target)
    rows = np.arange(len(days))
    covered = probabilities[len(days) :].reshape(len(days), len(cells), -1)[rows, :, target]
    drops = (original[rows, target][:, None] - covered).reshape(
        len(days), len(channel_edges) - 1, len(step_edges) - 1
    )
    return Occlusion(drops, channel_edges, step_edges, original, target)


def pick_days(predictions: pd.DataFrame, classes: Sequence[str], per_class: int) -> list[int]:
    """Rows of ``predictions`` to explain: per true class (in class order), ``per_class``
    typical days: of the days the CNN classifies correctly, those in the middle of its
    probabilities for that class (the most confident ones are saturated, and covering one
    patch barely moves them); a class without a correct day gives its first days.

    Raises:
        ValueError: when a column of the test predictions is missing.
    """
    needed = {"true_class", "cnn_class", *(f"cnn_probability_{c}" for c in classes)}
    missing = sorted(needed - set(predictions.columns))
    if missing:
        raise ValueError(f"aerosol_test_predictions: missing columns {missing}.")
    rows: list[int] = []
    for name in classes:
        days = predictions[predictions["true_class"] == name]
        correct = days[days["cnn_class"] == name]
        if correct.empty:
            rows += [predictions.index.get_loc(i) for i in days.index[:per_class]]
            continue
        ranked = correct[f"cnn_probability_{name}"].sort_values(kind="stable")
        start = max((len(ranked) - per_class) // 2, 0)
        rows += [predictions.index.get_loc(i) for i in ranked.index[start : start + per_class]]
    return rows


def top_regions(record: Mapping[str, Any], day: int, count: int) -> list[dict[str, float]]:
    """The ``count`` patches of one explained day with the largest drops, as sizes and hours."""
    drops = np.asarray(record["drops"][day])
    edges_nm = diameter_edges_nm(np.asarray(record["diameters_nm"]))
    hours = np.asarray(record["step_edges"]) * record["step_minutes"] / 60
    channels = np.asarray(record["channel_edges"])
    order = np.argsort(-drops, axis=None, kind="stable")[:count]
    regions = []
    for flat in order:
        c, s = np.unravel_index(flat, drops.shape)
        regions.append(
            {
                "d_low_nm": float(edges_nm[channels[c]]),
                "d_high_nm": float(edges_nm[channels[c + 1]]),
                "hour_from": float(hours[s]),
                "hour_to": float(hours[s + 1]),
                "drop": float(drops[c, s]),
            }
        )
    return regions


def regions_table(record: Mapping[str, Any], count: int) -> pd.DataFrame:
    """One row per explained day: its classes, probability and its ``count`` top regions."""
    rows = []
    for day, date in enumerate(record["dates"]):
        regions = top_regions(record, day, count)
        rows.append(
            {
                "date": date,
                "true class": record["true_class"][day],
                "CNN class": record["explained_class"][day],
                "probability": float(record["probability"][day]),
                "top regions (diameter, hours: drop)": "; ".join(
                    f"{r['d_low_nm']:.3g}-{r['d_high_nm']:.3g} nm, {r['hour_from']:g}-"
                    f"{r['hour_to']:g} h: {r['drop']:+.2f}"
                    for r in regions
                ),
            }
        )
    return pd.DataFrame(rows)


def attribution_figure(
    record: Mapping[str, Any], days: Sequence[int], count: int, note: str = ""
) -> Figure:
    """Per explained day a column: the day's surface plot with its ``count`` top patches
    outlined (numbered by rank), and below it the drop of every patch on the same axes
    (each day on its own symmetric colour scale: red supports the class, blue argues
    against it)."""
    # A fixed layout: constrained layout recomputes every log axis's ticks (seconds).
    figure = Figure(figsize=(1.2 + 4.4 * len(days), 7.6))
    axes = figure.subplots(2, len(days), sharex=True, sharey=True, squeeze=False)
    figure.subplots_adjust(left=0.8 / figure.get_figwidth(), right=0.9, top=0.86, bottom=0.08)
    figure.subplots_adjust(hspace=0.3, wspace=0.3)
    diameters = np.asarray(record["diameters_nm"])
    edges_nm = diameter_edges_nm(diameters)
    minutes = int(record["step_minutes"])
    hours = np.asarray(record["step_edges"]) * minutes / 60
    patch_nm = edges_nm[np.asarray(record["channel_edges"])]
    concentration = None
    for column, day in enumerate(days):
        top, bottom = axes[0, column], axes[1, column]
        title = (
            f"{record['dates'][day]}: true {record['true_class'][day]}\n"
            f"CNN {record['explained_class'][day]} (p = {record['probability'][day]:.2f})"
        )
        concentration = draw_day(top, np.asarray(record["days"][day]), diameters, minutes, title)
        for rank, region in enumerate(top_regions(record, day, count), start=1):
            top.add_patch(
                Rectangle(
                    (region["hour_from"], region["d_low_nm"]),
                    region["hour_to"] - region["hour_from"],
                    region["d_high_nm"] - region["d_low_nm"],
                    fill=False,
                    edgecolor="white",
                    linewidth=2,
                )
            )
            top.text(
                region["hour_from"] + 0.2,
                region["d_high_nm"],
                str(rank),
                color="white",
                fontsize=9,
                fontweight="bold",
                va="top",
            )
        drops = np.asarray(record["drops"][day])
        limit = max(float(np.abs(drops).max()), 1e-3)  # each day on its own scale
        attribution = bottom.pcolormesh(
            hours, patch_nm, drops, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, -limit, limit)
        )
        figure.colorbar(attribution, cax=bottom.inset_axes((1.02, 0.0, 0.04, 1.0)))
        bottom.set_yscale("log")
        bottom.set_xticks(range(0, 25, 3))
        bottom.set_xlabel("hour of day")
        bottom.set_title(
            f"drop of P({record['explained_class'][day]}) when a patch is covered", fontsize=9
        )
    for ax in axes.flat:  # few fixed log ticks: cheap to lay out, easy to read
        ax.yaxis.set_major_locator(FixedLocator(DIAMETER_TICKS_NM))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_locator(NullLocator())
    axes[0, 0].set_ylabel("diameter (nm)")
    axes[1, 0].set_ylabel("diameter (nm)")
    if concentration is not None:
        figure.colorbar(
            concentration,
            cax=axes[0, -1].inset_axes((1.02, 0.0, 0.04, 1.0)),
            label="dN/dlogDp (cm$^{-3}$)",
        )
    figure.suptitle(note, fontsize=9)
    return figure
