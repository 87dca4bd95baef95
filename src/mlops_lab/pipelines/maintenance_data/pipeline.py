"""Pipeline ``maintenance_data``: real visits -> features, sensitive attribute, splits."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.maintenance_data import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Parse -> derive features (gender set apart) -> stratified split -> report."""
    return Pipeline(
        [
            Node(
                nodes.parse_maintenance_visits,
                inputs="maintenance_raw",
                outputs="maintenance_visits",
                name="parse_maintenance_visits",
            ),
            Node(
                nodes.derive_maintenance_features,
                inputs=["maintenance_visits", "params:maintenance_data.min_age_days"],
                outputs=["maintenance_features", "maintenance_sensitive_attributes"],
                name="derive_maintenance_features",
            ),
            Node(
                nodes.split_maintenance_data,
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
            Node(
                nodes.report_maintenance_data,
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
