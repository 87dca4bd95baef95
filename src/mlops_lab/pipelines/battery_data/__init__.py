"""``battery_data``: the lab's preparation of raw battery telemetry into daily series."""

from mlops_lab.pipelines.battery_data.pipeline import create_pipeline

__all__ = ["create_pipeline"]
