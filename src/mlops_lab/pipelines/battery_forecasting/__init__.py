"""``battery_forecasting``: AutoML-style model selection of 30-day cycle forecasts."""

from mlops_lab.pipelines.battery_forecasting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
