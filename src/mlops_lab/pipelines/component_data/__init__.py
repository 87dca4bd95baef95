"""Validate, normalise, de-duplicate and split the component-compliance texts."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
