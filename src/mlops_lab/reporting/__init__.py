"""Metrics and figures shared by the training pipelines."""
