"""SHAP values as a table, and SHAP's standard plots drawn from it.

Explanations travel between nodes as a plain table, one row per explained prediction:
``value:<input>`` (what the model saw), ``shap:<input>`` (its contribution),
``base_value`` (the explainer's expected output) and whatever the domain adds (ids,
the prediction, ``method``). A table without ``shap:`` columns says in ``method`` why
the model has no SHAP explanation. The figures are SHAP's own bar, beeswarm and
waterfall plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

VALUE, SHAP, BASE = "value:", "shap:", "base_value"


def shap_frame(
    data: np.ndarray, values: np.ndarray, names: Sequence[str], base_value: float
) -> pd.DataFrame:
    """The ``value:``, ``shap:`` and ``base_value`` columns of explained rows.

    Raises:
        ValueError: when ``data``, ``values`` and ``names`` do not have one shape.
    """
    data, values = np.asarray(data, dtype=float), np.asarray(values, dtype=float)
    if data.shape != values.shape or data.ndim != 2 or data.shape[1] != len(names):
        raise ValueError(
            f"SHAP values {values.shape} and inputs {data.shape} must both be rows x "
            f"{len(names)} inputs."
        )
    return pd.concat(
        [
            pd.DataFrame(data, columns=[VALUE + n for n in names]),
            pd.DataFrame(values, columns=[SHAP + n for n in names]),
        ],
        axis=1,
    ).assign(**{BASE: float(base_value)})


def explained(table: pd.DataFrame) -> bool:
    """Whether the table holds SHAP values (else its ``method`` says why not)."""
    return any(str(c).startswith(SHAP) for c in table.columns)


def explanation(table: pd.DataFrame) -> Any:
    """The table as a ``shap.Explanation`` (values, base values, data, input names)."""
    import shap

    names = [c.removeprefix(SHAP) for c in table.columns if str(c).startswith(SHAP)]
    return shap.Explanation(
        values=table[[SHAP + n for n in names]].to_numpy(dtype=float),
        base_values=table[BASE].to_numpy(dtype=float),
        data=table[[VALUE + n for n in names]].to_numpy(dtype=float),
        feature_names=names,
    )


def shap_figures(
    table: pd.DataFrame, waterfall_rows: Sequence[int], max_display: int = 10
) -> dict[str, Figure]:
    """SHAP's ``bar`` and ``beeswarm`` plots, and ``waterfall_<row>`` for each row asked.

    SHAP draws on pyplot's current figure: each plot gets a fresh figure that is taken
    off pyplot's list before it is returned, so no pyplot state outlives the call.
    """
    import matplotlib.pyplot as plt
    import shap

    values = explanation(table)
    drawings = {
        "bar": lambda: shap.plots.bar(values, max_display=max_display, show=False),
        "beeswarm": lambda: shap.plots.beeswarm(values, max_display=max_display, show=False),
    }
    for row in waterfall_rows:
        drawings[f"waterfall_{row}"] = lambda row=row: shap.plots.waterfall(
            values[int(row)], max_display=max_display, show=False
        )
    figures = {}
    for name, draw in drawings.items():
        plt.figure()
        draw()
        figure = plt.gcf()
        figure.set_size_inches(8, 4.5)
        figure.tight_layout()  # SHAP lays out for its own size: keep the labels inside
        plt.close(figure)
        figures[name] = figure
    return figures
