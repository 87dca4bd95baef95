"""``battery_simulation``: raw battery telemetry in the shape the lab received it."""

from mlops_lab.pipelines.battery_simulation.pipeline import create_pipeline

__all__ = ["create_pipeline"]
