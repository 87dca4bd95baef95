"""One panel per battery: the layout shared by the battery reports' figures."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def battery_panels(
    batteries: Iterable[int], columns: int, height: float = 2.4
) -> tuple[Figure, Iterator[tuple[int, Axes]]]:
    """A grid of small multiples, one titled panel per battery; unused panels hidden.

    Returns:
        The figure and the (battery, axes) pairs to draw on.
    """
    batteries = sorted(batteries)
    rows = max(1, -(-len(batteries) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, height * rows), squeeze=False)
    for ax in axes.flat[len(batteries) :]:
        ax.set_visible(False)
    for ax, battery_id in zip(axes.flat, batteries, strict=False):
        ax.set_title(f"battery {battery_id}", fontsize=9)
        ax.tick_params(labelsize=6)
        ax.tick_params(axis="x", rotation=30)
    return figure, zip(batteries, axes.flat, strict=False)


def finish_panels(figure: Figure, title: str, legend_size: int = 7) -> Figure:
    """Legend on the first panel, a title, a tight layout."""
    figure.axes[0].legend(fontsize=legend_size)
    figure.suptitle(title)
    figure.tight_layout()
    return figure
