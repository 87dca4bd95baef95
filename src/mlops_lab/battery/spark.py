"""The streaming scorer's sink (the Spark session and its hook are in
:mod:`mlops_lab.battery.spark_session`, which every Kedro command imports without loading
Spark's Python packages).

- :class:`StreamingQueryDataset`: kedro-datasets' ``spark.SparkStreamingDataset`` with a
  trigger. ``available_now`` processes every file that has landed, in micro-batches, and
  returns when done; ``processing_time`` starts a micro-batch every interval until
  stopped. Loading returns the sink's committed rows as a (batch) DataFrame.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from kedro_datasets.spark import SparkStreamingDataset

logger = logging.getLogger(__name__)

TRIGGERS = ("available_now", "processing_time")


def query_progress(query: Any) -> list[dict[str, Any]]:
    """The query's recent micro-batch progress reports as plain dicts."""
    return [json.loads(p.json) if hasattr(p, "json") else dict(p) for p in query.recentProgress]


class StreamingQueryDataset(SparkStreamingDataset):
    """A Structured Streaming sink with a checkpoint and a trigger.

    Args:
        filepath: The sink table's folder.
        file_format: Sink format (``parquet``).
        checkpoint: The query's checkpoint folder (offsets, commits, state): a restarted
            query continues where the last committed micro-batch ended.
        trigger: ``available_now`` or ``processing_time``.
        processing_time: Interval of the processing-time trigger (``"10 seconds"``).
        query_name: Name of the query (Spark UI, logs).
        save_args: Further writer options.
        metadata: Kedro-viz and other metadata.
    """

    def __init__(
        self,
        *,
        filepath: str,
        checkpoint: str,
        file_format: str = "parquet",
        trigger: str = "available_now",
        processing_time: str = "10 seconds",
        query_name: str | None = None,
        save_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if trigger not in TRIGGERS:
            raise ValueError(
                f"StreamingQueryDataset: trigger must be one of {TRIGGERS}, got {trigger!r}."
            )
        # Absolute local paths: Spark resolves relative ones against the JVM's working
        # directory, which is not the project's when a process changes directory after
        # starting Spark.
        filepath, checkpoint = (
            path if "://" in path else os.path.abspath(path) for path in (filepath, checkpoint)
        )
        super().__init__(
            filepath=filepath, file_format=file_format, save_args=save_args, metadata=metadata
        )
        self._checkpoint = checkpoint
        self._trigger = trigger
        self._processing_time = processing_time
        self._query_name = query_name

    def _describe(self) -> dict[str, Any]:
        return {
            **super()._describe(),
            "checkpoint": self._checkpoint,
            "trigger": self._trigger,
            "processing_time": self._processing_time,
        }

    def save(self, data: Any) -> None:
        writer = (
            data.writeStream.format(self._file_format)
            .option("checkpointLocation", self._checkpoint)
            .option("path", str(self._filepath))
            .outputMode("append")
            .options(**self._save_args)
        )
        if self._query_name:
            writer = writer.queryName(self._query_name)
        if self._trigger == "available_now":
            query = writer.trigger(availableNow=True).start()
            query.awaitTermination()
            if query.exception() is not None:
                raise RuntimeError(
                    f"Streaming query {self._query_name} failed: {query.exception()}"
                )
            progress = query_progress(query)
            logger.info(
                "%s: %d micro-batches, %d rows in",
                self._query_name or self._filepath,
                len([p for p in progress if p.get("numInputRows")]),
                sum(p.get("numInputRows", 0) for p in progress),
            )
        else:
            writer.trigger(processingTime=self._processing_time).start()
            logger.info(
                "%s started, every %s", self._query_name or self._filepath, self._processing_time
            )

    def load(self) -> Any:
        from pyspark.sql import SparkSession

        session = SparkSession.getActiveSession()
        if session is None:
            raise RuntimeError("No Spark session: load the sink inside a pipeline that uses Spark.")
        return session.read.format(self._file_format).load(str(self._filepath))

    def _exists(self) -> bool:
        return (Path(str(self._filepath)) / "_spark_metadata").exists()
