"""Which inputs of its window the ``battery-cycles-lstm`` forecast rests on: occlusion.

The LSTM reads each battery's last ``window`` days of four features (cycles, trip
duration, day-of-week sine and cosine) and forecasts the next ``horizon`` days. Covering
one feature over a block of ``block_days`` days of the window with its training mean (0
after scaling) and forecasting again shows how much the forecast depends on that part
of the input: the attribution is the mean absolute change of the forecast (cycles per
day, over every battery and forecast day). Covering a feature over the whole window
gives its overall importance. All covered windows go through the network in one call.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mlops_lab.battery.lstm import BatteryLstmModel
from mlops_lab.battery.windows import FEATURES

logger = logging.getLogger(__name__)

WHOLE_WINDOW = "whole window"


def occlusion_table(
    model: BatteryLstmModel, records: pd.DataFrame, block_days: int
) -> pd.DataFrame:
    """Mean absolute change of the forecast when each feature is covered over each block.

    Args:
        model: The registered LSTM's Python model.
        records: Raw history rows; each battery's last window is explained.
        block_days: Days per covered block, counted back from the last input day.

    Returns:
        One row per feature and block (and per feature for the ``whole window``):
        ``feature``, ``block``, ``days_before_from``, ``days_before_to`` (days before
        the forecast origin, 1 = the last input day), ``mean_abs_change`` and
        ``batteries``.

    Raises:
        ValueError: for a block that is not between 1 and the window.
    """
    windows, _ = model.last_windows(records)
    length = windows.shape[1]
    if not 1 <= block_days <= length:
        raise ValueError(
            f"battery_deep_forecasting.explanations.block_days {block_days} must be between 1 "
            f"and the window of {length} days."
        )
    ends = np.arange(length, 0, -block_days)  # window positions, newest block first
    blocks = [(max(end - block_days, 0), end) for end in ends]
    means = np.asarray(model.scaler.mean, dtype="float32")
    cases, covered = [], [windows]
    for f, name in enumerate(FEATURES):
        for start, end in [*blocks, (0, length)]:
            copy = windows.copy()
            copy[:, start:end, f] = means[f]
            covered.append(copy)
            whole = (start, end) == (0, length)
            cases.append(
                {
                    "feature": name,
                    "block": WHOLE_WINDOW if whole else f"{length - start}-{length - end + 1}",
                    "days_before_from": length - start,
                    "days_before_to": length - end + 1,
                }
            )
    forecasts = model.forecast_windows(np.concatenate(covered))
    n = len(windows)
    original = forecasts[:n]
    changes = np.abs(forecasts[n:].reshape(len(cases), n, -1) - original).mean(axis=(1, 2))
    table = pd.DataFrame(cases).assign(mean_abs_change=changes, batteries=n)
    logger.info(
        "LSTM occlusion: %d features x %d blocks of %d days on %d batteries (%d windows)",
        len(FEATURES),
        len(blocks),
        block_days,
        n,
        len(forecasts),
    )
    return table


def occlusion_figure(table: pd.DataFrame, title: str) -> Figure:
    """A heat map of features x blocks (oldest days left) and the whole-window bars."""
    blocks = table[table["block"] != WHOLE_WINDOW].sort_values(
        "days_before_from", ascending=False, kind="stable"
    )
    grid = blocks.pivot_table(
        index="feature", columns="days_before_from", values="mean_abs_change", sort=False
    ).reindex(index=list(FEATURES))
    grid = grid[sorted(grid.columns, reverse=True)]
    labels = (
        blocks.drop_duplicates("days_before_from").set_index("days_before_from")["block"]
    ).reindex(grid.columns)
    whole = table[table["block"] == WHOLE_WINDOW].set_index("feature")["mean_abs_change"]
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    heat, bars = figure.subplots(1, 2, width_ratios=[3, 1])
    image = heat.imshow(grid.to_numpy(), aspect="auto", cmap="viridis")
    heat.set_xticks(range(len(labels)), labels=labels.tolist(), rotation=45, ha="right")
    heat.set_yticks(range(len(grid)), labels=grid.index.tolist())
    heat.set_xlabel("days before the forecast origin (covered block)")
    heat.set_title("mean |change of the forecast| when covered (cycles/day)", fontsize=9)
    figure.colorbar(image, ax=heat)
    bars.barh(list(FEATURES)[::-1], whole.reindex(list(FEATURES)).to_numpy()[::-1])
    bars.set_title("whole window covered", fontsize=9)
    bars.set_xlabel("cycles/day")
    figure.suptitle(title, fontsize=9)
    return figure
