"""Per-battery figures stay readable (and quick to save) for any fleet size."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlops_lab.battery import plots


def _forecasts(n_batteries: int) -> pd.DataFrame:
    days = pd.date_range("2020-01-01", periods=10)
    return pd.DataFrame(
        {
            "Battery_ID": np.repeat(np.arange(n_batteries), len(days)),
            "Date": np.tile(days, n_batteries),
            "y_true": 1.0,
            "y_pred": 0.9,
            "fold": 1,
        }
    )


def _notes(figure) -> list[str]:
    return [t.get_text() for t in figure.texts if t.get_text() != figure.get_suptitle()]


def test_a_large_fleet_gets_the_first_batteries_and_says_how_many_of_how_many():
    figure = plots.validation_forecasts_figure(_forecasts(300), columns=4)
    shown = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    assert shown == [f"battery {i}" for i in range(plots.MAX_PANELS)]
    assert _notes(figure) == [f"the first {plots.MAX_PANELS} of 300 batteries by id"]


def test_a_small_fleet_gets_every_battery_and_no_note():
    figure = plots.validation_forecasts_figure(_forecasts(5), columns=4)
    assert [ax.get_title() for ax in figure.axes if ax.get_visible()] == [
        f"battery {i}" for i in range(5)
    ]
    assert _notes(figure) == []
