"""Classify new component texts with the registered ``component-compliance`` model."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
