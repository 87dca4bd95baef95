"""Nodes of ``battery_streaming``: windows to start from, validation, scoring by the champion.

The nodes only describe the streaming DataFrames; the catalog's sinks
(:class:`mlops_lab.battery.spark.StreamingQueryDataset`) start the queries.
"""

from __future__ import annotations

import logging
from typing import Any

import cloudpickle
import pandas as pd

from mlops_lab.battery.schema import BATTERY_ID
from mlops_lab.battery.streaming import (
    FORECAST_SCHEMA,
    STATE_SCHEMA,
    Window,
    WindowScorer,
    quarantined_rows,
    valid_rows,
    with_rejection_reason,
)
from mlops_lab.registry import RegisteredModel

logger = logging.getLogger(__name__)


def starting_windows(series: pd.DataFrame, champion: RegisteredModel) -> dict[int, Window]:
    """Each battery's last days of ``daily_battery_time_series``, as long as the model reads.

    The stream continues these series: a battery's first streamed day is forecast from
    its window here, and a battery not in the table is unknown to the stream.
    """
    length = int(champion.python_model.window)
    windows = {
        int(battery_id): Window.from_history(group, length)
        for battery_id, group in series.groupby(BATTERY_ID)
        if len(group) >= length
    }
    logger.info("Streaming windows of %d days for %d batteries", length, len(windows))
    return windows


def split_telemetry_stream(stream: Any, windows: dict[int, Window]) -> tuple[Any, Any]:
    """Valid rows (typed) and quarantined rows (as they came, with the reason) of the stream.

    Returns:
        (valid rows, quarantined rows): two streaming DataFrames of the same source.
    """
    checked = with_rejection_reason(stream, sorted(windows))
    return valid_rows(checked), quarantined_rows(checked)


def score_telemetry_stream(
    valid: Any, champion: RegisteredModel, windows: dict[int, Window]
) -> Any:
    """Forecast the next days from each battery's newest window when its new day arrives.

    The champion (for the LSTM, its NumPy twin with the same weights) is pickled once
    into a broadcast; each Spark Python worker unpickles it once
    (:func:`mlops_lab.battery.streaming.cached_model`). The windows live in the query's
    state store, keyed by battery.
    """
    from pyspark.sql.streaming.state import GroupStateTimeout

    session = valid.sparkSession
    # The LSTM's NumPy twin: the same forecasts, and workers never import TensorFlow.
    twin = getattr(champion.python_model, "streaming_twin", None)
    model = twin() if twin is not None else champion.python_model
    payload = session.sparkContext.broadcast(cloudpickle.dumps(model))
    scorer = WindowScorer(champion.name, champion.version, payload, windows)
    logger.info("Scoring the stream with %s v%s", champion.name, champion.version)
    return valid.groupBy(BATTERY_ID).applyInPandasWithState(
        scorer,
        outputStructType=FORECAST_SCHEMA,
        stateStructType=STATE_SCHEMA,
        outputMode="append",
        timeoutConf=GroupStateTimeout.NoTimeout,
    )
