"""``battery_deep_forecasting``: a Keras LSTM forecaster, registered as ``battery-cycles-lstm``."""

from mlops_lab.pipelines.battery_deep_forecasting.pipeline import create_pipeline

__all__ = ["create_pipeline"]
