"""Figures of the battery reports: one panel per battery, validation forecasts, residuals."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE

# A figure of thousands of panels takes minutes to draw and save and shows nothing a
# reader can take in (2,000 batteries: 80 s for one figure); the tables keep every battery.
MAX_PANELS = 24


def battery_panels(
    batteries: Iterable[int], columns: int, height: float = 2.4, limit: int = MAX_PANELS
) -> tuple[Figure, Iterator[tuple[int, Axes]]]:
    """A grid of small multiples, one titled panel per battery; unused panels hidden.

    At most ``limit`` panels: the batteries with the lowest ids (the real battery 0
    first); when there are more, the figure says how many of how many it shows.

    Returns:
        The figure and the (battery, axes) pairs to draw on.
    """
    every = sorted(batteries)
    batteries = every[:limit]
    rows = max(1, -(-len(batteries) // columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4 * columns, height * rows), squeeze=False)
    if len(every) > len(batteries):
        figure.text(
            0.5,
            1 - 0.55 / (height * rows),
            f"the first {len(batteries)} of {len(every)} batteries by id",
            ha="center",
            va="top",
            fontsize=9,
        )
    for ax in axes.flat[len(batteries) :]:
        ax.set_visible(False)
    for ax, battery_id in zip(axes.flat, batteries, strict=False):
        ax.set_title(f"battery {battery_id}", fontsize=9)
        ax.tick_params(labelsize=6)
        # Few ticks: drawing tick labels is most of the time of a figure of many panels.
        locator = mdates.AutoDateLocator(minticks=3, maxticks=5)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.yaxis.set_major_locator(MaxNLocator(4))
    return figure, zip(batteries, axes.flat, strict=False)


def finish_panels(figure: Figure, title: str, legend_size: int = 7) -> Figure:
    """Legend on the first panel, a title, fixed margins.

    Margins are set in inches rather than by ``tight_layout``, which measures every tick
    label of every panel and took most of a 21-panel figure's time (seconds per figure).
    """
    figure.axes[0].legend(fontsize=legend_size)
    figure.suptitle(title)
    width, height = figure.get_size_inches()
    figure.subplots_adjust(
        left=0.45 / width,
        right=1 - 0.15 / width,
        bottom=0.55 / height,
        top=1 - 0.8 / height,
        wspace=0.22,
        hspace=0.65,
    )
    return figure


def validation_forecasts_figure(forecasts: pd.DataFrame, columns: int) -> Figure:
    """Predicted vs true on the last validation fold, one panel per battery."""
    last = forecasts[forecasts["fold"] == forecasts["fold"].max()]
    figure, panels = battery_panels(last[BATTERY_ID].unique(), columns)
    for battery_id, ax in panels:
        group = last[last[BATTERY_ID] == battery_id].sort_values(DATE)
        ax.plot(group[DATE], group["y_true"], label="true", color="black", lw=1)
        ax.plot(group[DATE], group["y_pred"], label="forecast", color="tab:orange", lw=1)
    return finish_panels(figure, f"{CYCLES}: last validation fold, selected model")


def residuals_figure(forecasts: pd.DataFrame) -> Figure:
    """Residuals (true - forecast): against the forecast, and their distribution."""
    residual = forecasts["y_true"] - forecasts["y_pred"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.8))
    left.scatter(forecasts["y_pred"], residual, s=3, alpha=0.4)
    left.axhline(0, color="black", lw=0.8)
    left.set(xlabel="forecast", ylabel="true - forecast", title="residuals vs forecast (all folds)")
    right.hist(residual, bins=60)
    right.set(xlabel="true - forecast", title="residual distribution")
    figure.tight_layout()
    return figure


def training_loss_figure(loss: list[float], val_loss: list[float], title: str) -> Figure:
    """Training and validation loss per epoch (epochs counted from 1)."""
    figure = Figure(figsize=(6, 3.8), layout="constrained")
    ax = figure.subplots()
    epochs = range(1, len(loss) + 1)
    ax.plot(epochs, loss, "-o", label="training")
    ax.plot(epochs, val_loss, "--s", label="validation")
    ax.set(xlabel="epoch", ylabel="loss (MSE, standardised cycles)", title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    return figure


def leaderboard_figure(board: pd.DataFrame, score: str, group: str) -> Figure:
    """Horizontal bars of ``score`` per model (best at the top), coloured by ``group``."""
    ordered = board.sort_values(score, ascending=False)
    figure = Figure(figsize=(8, 0.35 * len(ordered) + 1.4), layout="constrained")
    ax = figure.subplots()
    groups = list(dict.fromkeys(board[group]))
    colours = {name: f"C{i}" for i, name in enumerate(groups)}
    ax.barh(ordered["model"], ordered[score], color=[colours[g] for g in ordered[group]])
    for name in groups:
        ax.barh([], [], color=colours[name], label=name)
    ax.set(xlabel=f"{score} (held-out days, macro over batteries)", title="Battery forecasters")
    ax.legend(fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    return figure
