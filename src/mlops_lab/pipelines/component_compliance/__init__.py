"""Train, evaluate, track and register the component-compliance text classifier."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
