"""Pipeline ``particle_classification``: CNN vs baselines, tracked in MLflow, registered."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
