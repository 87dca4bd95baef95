"""``battery_streaming``: Spark Structured Streaming scoring of landed battery telemetry."""

from mlops_lab.pipelines.battery_streaming.pipeline import create_pipeline

__all__ = ["create_pipeline"]
