"""Pipeline ``aerosol_simulation``: seeded SmartSMEAR DMPS exports for the labelled days."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
