"""``battery_batch_scoring``: next 30 days of cycles for every battery, with intervals."""

from mlops_lab.pipelines.battery_batch_scoring.pipeline import create_pipeline

__all__ = ["create_pipeline"]
