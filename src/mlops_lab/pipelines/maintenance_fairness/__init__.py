"""Fairness of ``car-maintenance`` by gender, make and age band; mitigation; the report."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
