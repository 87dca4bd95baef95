"""Prepare the real car-maintenance visits: typed, de-identified, featured and split."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
