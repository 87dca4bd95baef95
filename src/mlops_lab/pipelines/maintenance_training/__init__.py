"""Leakage audit, framed model comparison, registration and gate of ``car-maintenance``."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
