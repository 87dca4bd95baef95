"""Generate the raw component-compliance texts (stand-in for the lab's unpublished file)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
