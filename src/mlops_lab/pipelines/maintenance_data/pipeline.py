"""Pipeline ``maintenance_data``: real visits -> features, sensitive attribute, splits."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import (
    derive_maintenance_features,
    parse_maintenance_visits,
    report_maintenance_data,
    split_maintenance_data,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Parse -> derive features (gender set apart) -> stratified split -> report."""
    return pipeline(
        [
            node(
                parse_maintenance_visits,
                inputs=["maintenance_raw", "params:maintenance_data.raw_source"],
                outputs="maintenance_visits",
                name="parse_maintenance_visits",
            ),
            node(
                derive_maintenance_features,
                inputs=["maintenance_visits", "params:maintenance_data.min_age_days"],
                outputs=["maintenance_features", "maintenance_sensitive_attributes"],
                name="derive_maintenance_features",
            ),
            node(
                split_maintenance_data,
                inputs=[
                    "maintenance_features",
                    "maintenance_sensitive_attributes",
                    "params:maintenance_data.test_size",
                    "params:maintenance_data.seed",
                ],
                outputs={
                    "train": "maintenance_model_input_train",
                    "test": "maintenance_model_input_test",
                    "sensitive_train": "maintenance_sensitive_train",
                    "sensitive_test": "maintenance_sensitive_test",
                },
                name="split_maintenance_data",
            ),
            node(
                report_maintenance_data,
                inputs=[
                    "maintenance_raw",
                    "maintenance_features",
                    "maintenance_model_input_train",
                    "maintenance_model_input_test",
                    "maintenance_sensitive_train",
                    "maintenance_sensitive_test",
                ],
                outputs="maintenance_data_report",
                name="report_maintenance_data",
            ),
        ]
    )
