"""Pipeline ``aerosol_data``: raw labels and DMPS exports -> model input, report, plots."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
