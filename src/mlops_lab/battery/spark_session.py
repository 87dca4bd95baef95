"""Spark for the streaming scorer: one session from ``conf/<env>/spark.yml``, started only
when a pipeline uses a Spark dataset.

- :func:`spark_session`: ``local[*]`` (or what ``spark.yml`` says), with the project's
  interpreter for the driver and the Python workers (``PYSPARK_PYTHON`` and
  ``PYSPARK_DRIVER_PYTHON`` = ``sys.executable``), so workers import the same packages.
- :class:`SparkSessionHook`: no JVM starts for the other ``kedro run`` commands; the
  session starts before a pipeline whose datasets include a Spark dataset. After such a
  pipeline it waits for streaming queries still running (the processing-time trigger's
  service mode) until they stop or the command is interrupted (Ctrl-C or SIGTERM), then
  stops them cleanly.

``settings.py`` imports this module for every Kedro command, so it imports neither
``pyspark`` nor kedro-datasets' Spark datasets until a session is needed.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Mapping
from typing import Any

from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)

SPARK_DATASET_MODULES = ("kedro_datasets.spark",)  # the project's sinks subclass them


def spark_session(config: Mapping[str, Any]) -> Any:
    """The (one) Spark session of the process, configured by ``config`` (``spark.yml``)."""
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in config.items():
        builder = builder.config(
            str(key), str(value).lower() if isinstance(value, bool) else str(value)
        )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("WARN")
    return session


def uses_spark(catalog: Any, dataset_names: set[str]) -> bool:
    """Whether any of the datasets is a Spark dataset (kedro-datasets' ``spark.*``)."""
    for name in dataset_names:
        if name.startswith("params:") or name == "parameters" or name not in catalog:
            continue
        if any(
            cls.__module__.startswith(SPARK_DATASET_MODULES)
            for cls in type(catalog.get(name)).__mro__
        ):
            return True
    return False


class SparkSessionHook:
    """Start Spark for pipelines that use it; serve streaming queries until stopped."""

    def __init__(self) -> None:
        self._config_loader: Any = None
        self._session: Any = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._config_loader = context.config_loader

    @hook_impl
    def before_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        if not uses_spark(catalog, set(pipeline.datasets())):
            return
        try:
            config = self._config_loader["spark"] if self._config_loader is not None else {}
        except MissingConfigException:
            config = {}
        self._session = spark_session(config or {})
        logger.info(
            "Spark %s session on %s", self._session.version, self._session.sparkContext.master
        )

    @hook_impl
    def after_pipeline_run(self) -> None:
        if self._session is None:
            return
        active = self._session.streams.active
        if not active:
            return
        logger.info(
            "Serving %d streaming queries (%s); stop with Ctrl-C or SIGTERM",
            len(active),
            ", ".join(q.name or q.id for q in active),
        )
        previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        try:
            for query in active:
                query.awaitTermination()
        except KeyboardInterrupt:
            logger.info("Stopping the streaming queries")
        finally:
            signal.signal(signal.SIGTERM, previous)
            for query in self._session.streams.active:
                query.stop()


def _raise_keyboard_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt
