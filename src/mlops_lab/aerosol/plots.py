"""Surface plots (time x diameter, log colour) of days of particle size distribution."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import QuadMesh
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

CONCENTRATION = LogNorm(vmin=10, vmax=1e5)
"""Colour scale of dN/dlogDp (cm^-3) shared by every day plot."""


def diameter_edges_nm(diameters_nm: np.ndarray) -> np.ndarray:
    """Cell edges (nm) between the channel diameters, halfway in log-diameter."""
    log_d = np.log10(diameters_nm)
    edges = np.concatenate(
        [
            [log_d[0] - (log_d[1] - log_d[0]) / 2],
            (log_d[1:] + log_d[:-1]) / 2,
            [log_d[-1] + (log_d[-1] - log_d[-2]) / 2],
        ]
    )
    return 10**edges


def draw_day(
    ax: Axes, values: np.ndarray, diameters_nm: np.ndarray, step_minutes: int, title: str
) -> QuadMesh:
    """One day's dN/dlogDp (``channels x steps``, not scaled) over hour and diameter."""
    hours = np.arange(values.shape[1] + 1) * step_minutes / 60
    mesh = ax.pcolormesh(
        hours,
        diameter_edges_nm(diameters_nm),
        np.clip(values, 10, None),
        norm=CONCENTRATION,
        cmap="jet",
        shading="flat",
    )
    ax.set_yscale("log")
    ax.set_xlabel("hour of day")
    ax.set_xticks(range(0, 25, 3))
    ax.set_title(title)
    return mesh


def surface_plot(
    days: Sequence[np.ndarray],
    titles: Sequence[str],
    diameters_nm: np.ndarray,
    step_minutes: int = 10,
    note: str = "",
) -> Figure:
    """One panel per day: dN/dlogDp (cm^-3) over hour of day and diameter (log axes).

    Args:
        days: Arrays ``channels x steps`` of dN/dlogDp (not scaled).
        titles: A title per day (e.g. date and class).
        diameters_nm: Channel diameters.
        step_minutes: Time step.
        note: Shown above the panels: what the data are (e.g. simulated).
    """
    figure = Figure(figsize=(6 * len(days), 4.2), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, len(days), sharey=True))
    mesh = None
    for ax, values, title in zip(axes, days, titles, strict=True):
        mesh = draw_day(ax, values, diameters_nm, step_minutes, title)
    axes[0].set_ylabel("diameter (nm)")
    if mesh is not None:
        figure.colorbar(mesh, ax=list(axes), label="dN/dlogDp (cm$^{-3}$)")
    figure.suptitle(note, fontsize=9)
    return figure
