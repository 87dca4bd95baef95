"""Streaming scoring of battery telemetry: validation with reasons, per-battery windows.

Telemetry files arrive in a landing folder in the raw format (``TELEMETRY_COLUMNS``,
daily entries). Every column is read as text, so that a bad value is kept and reported
instead of silently becoming null. :func:`with_rejection_reason` gives each row the
reason it cannot be scored (null when it can); rows with a reason go to the quarantine
table, the others to :class:`WindowScorer`.

State: each battery's newest ``window`` days live in Spark's state store (checkpointed
with the query, so a restarted query continues with the windows it had), starting from
the battery's last days in ``daily_battery_time_series``. When a battery's new day
arrives, its window moves on by that day and the registered champion forecasts the next
``horizon`` days from it. A day at or before the window's last day (a repeated or late
entry) is not scored again; a gap is filled by linear interpolation, as the batch
preparation (``battery_data``) fills missing days.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import cloudpickle
import numpy as np
import pandas as pd

from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, DURATION, TELEMETRY_COLUMNS

logger = logging.getLogger(__name__)

EXTRA = "_extra_columns"
"""A last text column of the source schema: filled only by rows with too many values."""
SOURCE_SCHEMA = ", ".join([*(f"{c} STRING" for c in TELEMETRY_COLUMNS), f"{EXTRA} STRING"])
NUMERIC = [c for c in TELEMETRY_COLUMNS if c not in (DATE, BATTERY_ID)]
STATE_SCHEMA = "days ARRAY<INT>, cycles ARRAY<DOUBLE>, durations ARRAY<DOUBLE>"
FORECAST_SCHEMA = (
    f"{BATTERY_ID} INT, {DATE} DATE, forecast_start DATE, forecast ARRAY<DOUBLE>, "
    "model_name STRING, model_version STRING, source_file STRING, scored_at TIMESTAMP"
)
EPOCH = pd.Timestamp("1970-01-01")


def with_rejection_reason(frame: Any, known_batteries: list[int]) -> Any:
    """Add ``reason`` (null for a valid row) and the typed columns to raw telemetry rows.

    Reasons (joined with ``; ``): too many columns, a missing value, a date or number
    that does not parse, NaN, a negative value (rated cycles must be positive), an
    unknown battery. Works on streaming and static DataFrames alike.
    """
    from pyspark.sql import functions as F

    date = F.to_date(F.try_to_timestamp(F.col(DATE)))
    battery = F.col(BATTERY_ID).try_cast("int")
    checks = [
        F.when(
            F.col(EXTRA).isNotNull(),
            F.lit(f"more columns than the raw format's {len(TELEMETRY_COLUMNS)}"),
        ),
        F.when(F.col(DATE).isNull(), F.lit(f"missing {DATE}")).when(
            date.isNull(), F.concat(F.lit(f"bad {DATE} '"), F.col(DATE), F.lit("'"))
        ),
        F.when(F.col(BATTERY_ID).isNull(), F.lit(f"missing {BATTERY_ID}"))
        .when(
            battery.isNull(), F.concat(F.lit(f"bad {BATTERY_ID} '"), F.col(BATTERY_ID), F.lit("'"))
        )
        .when(
            ~battery.isin(*known_batteries),
            F.concat(F.lit("unknown battery "), F.col(BATTERY_ID)),
        ),
    ]
    for column in NUMERIC:
        value = F.col(column).try_cast("double")
        lowest = "positive" if column == "Battery_Rated_Cycles" else "non-negative"
        too_low = value <= 0 if lowest == "positive" else value < 0
        checks.append(
            F.when(F.col(column).isNull(), F.lit(f"missing {column}"))
            .when(
                value.isNull(),
                F.concat(F.lit(f"{column} '"), F.col(column), F.lit("' is not a number")),
            )
            .when(F.isnan(value), F.lit(f"{column} is NaN"))
            .when(too_low, F.concat(F.lit(f"{column} "), F.col(column), F.lit(f" is not {lowest}")))
        )
    reason = F.concat_ws("; ", *checks)
    typed = {DATE: date, BATTERY_ID: battery, **{c: F.col(c).try_cast("double") for c in NUMERIC}}
    return (
        frame.withColumn("reason", F.when(reason != "", reason))
        .withColumn("source_file", F.input_file_name())
        .withColumns({f"typed_{name}": value for name, value in typed.items()})
    )


def valid_rows(checked: Any) -> Any:
    """The rows without a reason, typed (``Date`` as a date, numbers as doubles)."""
    from pyspark.sql import functions as F

    typed = [F.col(f"typed_{c}").alias(c) for c in TELEMETRY_COLUMNS]
    return checked.where(F.col("reason").isNull()).select(*typed, "source_file")


def quarantined_rows(checked: Any) -> Any:
    """The rows with a reason, as they arrived (text), with the reason and their file."""
    from pyspark.sql import functions as F

    return checked.where(F.col("reason").isNotNull()).select(
        *TELEMETRY_COLUMNS,
        EXTRA,
        "reason",
        "source_file",
        F.current_timestamp().alias("quarantined_at"),
    )


@dataclass(frozen=True)
class Window:
    """A battery's newest days: epoch day numbers, cycles and trip durations."""

    days: tuple[int, ...]
    cycles: tuple[float, ...]
    durations: tuple[float, ...]

    @classmethod
    def from_history(cls, rows: pd.DataFrame, length: int) -> Window:
        recent = rows.sort_values(DATE).tail(length)
        return cls(
            tuple(int(d) for d in (pd.to_datetime(recent[DATE]) - EPOCH).dt.days),
            tuple(float(v) for v in recent[CYCLES]),
            tuple(float(v) for v in recent[DURATION]),
        )

    def advanced(self, day: int, cycles: float, duration: float, length: int) -> Window:
        """The window moved on to ``day`` (days in between interpolated)."""
        last = self.days[-1]
        steps = np.arange(1, day - last + 1)
        fraction = steps / (day - last)
        days = (*self.days, *(last + steps).tolist())
        cycles_ = (
            *self.cycles,
            *(self.cycles[-1] + fraction * (cycles - self.cycles[-1])).tolist(),
        )
        durations = (
            *self.durations,
            *(self.durations[-1] + fraction * (duration - self.durations[-1])).tolist(),
        )
        return Window(days[-length:], cycles_[-length:], durations[-length:])

    def features(self) -> np.ndarray:
        """The window as the network's input (``windows.FEATURES``, as ``day_features``).

        The window was built from validated, consecutive days: no per-day checks needed.
        """
        day_of_week = (np.asarray(self.days) + EPOCH.dayofweek) % 7
        angle = 2 * np.pi * day_of_week / 7
        return np.column_stack([self.cycles, self.durations, np.sin(angle), np.cos(angle)]).astype(
            "float32"
        )

    def records(self, battery_id: int) -> pd.DataFrame:
        """The window as the registered model's raw input rows."""
        return pd.DataFrame(
            {
                DATE: EPOCH + pd.to_timedelta(list(self.days), unit="D"),
                BATTERY_ID: battery_id,
                DURATION: list(self.durations),
                CYCLES: list(self.cycles),
            }
        )


def score_new_days(
    model: Any, battery_id: int, window: Window, rows: pd.DataFrame
) -> tuple[Window, pd.DataFrame]:
    """Move the window over a battery's new rows; forecast from the window of each new day.

    Args:
        model: The registered python model (:class:`mlops_lab.battery.lstm.BatteryLstmModel`).
        battery_id: The battery.
        window: Its newest days before ``rows``.
        rows: Its new valid rows (``Date``, ``Daily_Cycles_Used``, ``Daily_Trip_Duration``,
            ``source_file``).

    Returns:
        The moved window, and one row per scored day: ``Battery_ID``, ``Date``,
        ``forecast_start`` and the ``forecast`` list of ``model.horizon`` days.
    """
    scored, windows = [], []
    for row in rows.sort_values(DATE).itertuples(index=False):
        day = int((pd.Timestamp(getattr(row, DATE)) - EPOCH).days)
        if day <= window.days[-1]:
            logger.warning("battery %s: day %s already scored, skipped", battery_id, row.Date)
            continue
        window = window.advanced(day, getattr(row, CYCLES), getattr(row, DURATION), model.window)
        windows.append(window.features())
        scored.append((pd.Timestamp(getattr(row, DATE)), row.source_file))
    if not scored:
        return window, pd.DataFrame(
            columns=[BATTERY_ID, DATE, "forecast_start", "forecast", "source_file"]
        )
    forecasts = model.forecast_windows(np.stack(windows))
    days = pd.to_datetime([day for day, _ in scored])
    return window, pd.DataFrame(
        {
            BATTERY_ID: battery_id,
            DATE: days.date,
            "forecast_start": (days + pd.Timedelta(days=1)).date,
            "forecast": [list(map(float, values)) for values in forecasts],
            "source_file": [source for _, source in scored],
        }
    )


_MODELS: dict[tuple[str, str], Any] = {}
"""Models unpickled in this process (a Spark Python worker loads each version once)."""


def cached_model(key: tuple[str, str], payload: Any) -> Any:
    """The model ``key`` (name, version), unpickled from ``payload`` (a broadcast) once."""
    if key not in _MODELS:
        _MODELS[key] = cloudpickle.loads(payload.value)
        logger.info("Loaded %s v%s in this worker", *key)
    return _MODELS[key]


class WindowScorer:
    """The ``applyInPandasWithState`` function: one battery's new rows in, forecasts out.

    Args:
        model_name, model_version: The registered model being used (on every output row).
        payload: A Spark broadcast of the pickled python model.
        initial: Battery -> its window at the end of ``daily_battery_time_series``.
    """

    def __init__(
        self, model_name: str, model_version: str, payload: Any, initial: dict[int, Window]
    ) -> None:
        self.key = (model_name, model_version)
        self.payload = payload
        self.initial = initial

    def __call__(
        self, key: tuple, batches: Iterator[pd.DataFrame], state: Any
    ) -> Iterator[pd.DataFrame]:
        (battery_id,) = key
        battery_id = int(battery_id)
        model = cached_model(self.key, self.payload)
        window = Window(*state.get) if state.exists else self.initial[battery_id]
        rows = pd.concat(list(batches), ignore_index=True)
        window, scored = score_new_days(model, battery_id, window, rows)
        state.update((list(window.days), list(window.cycles), list(window.durations)))
        yield scored.assign(
            model_name=self.key[0],
            model_version=self.key[1],
            scored_at=pd.Timestamp.now(tz="UTC").tz_localize(None),
        )[
            [
                BATTERY_ID,
                DATE,
                "forecast_start",
                "forecast",
                "model_name",
                "model_version",
                "source_file",
                "scored_at",
            ]
        ]


def committed_files(table: str | Path) -> list[Path]:
    """The data files of a Spark streaming file sink that its metadata log committed.

    A query killed mid-batch can leave files that no committed batch lists; readers
    other than Spark must read only these (Spark itself does so).
    """
    log = Path(table) / "_spark_metadata"
    if not log.is_dir():
        return []
    batches = sorted(
        (p for p in log.iterdir() if p.name.split(".")[0].isdigit()),
        key=lambda p: int(p.name.split(".")[0]),
    )
    compacts = [p for p in batches if p.name.endswith(".compact")]
    if compacts:
        start = int(compacts[-1].name.split(".")[0])
        batches = [p for p in batches if int(p.name.split(".")[0]) >= start]
    files: dict[str, bool] = {}
    for path in batches:
        for line in path.read_text().splitlines()[1:]:  # the first line is the log version
            entry = json.loads(line)
            files[entry["path"]] = entry.get("action", "add") != "delete"
    return [Path(unquote(urlparse(uri).path)) for uri, kept in files.items() if kept]


def read_committed(table: str | Path) -> pd.DataFrame:
    """A Spark file sink's committed rows with pandas (see :func:`committed_files`)."""
    files = committed_files(table)
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(path) for path in files], ignore_index=True)
