"""Pipeline ``classify_days``: raw SmartSMEAR DMPS exports -> class per day (registered model)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
