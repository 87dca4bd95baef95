"""``component_data``: raw notes -> clean, de-duplicated splits by template family."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.component_data import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Validate -> normalise -> de-duplicate -> group split by family -> report."""
    return Pipeline(
        [
            Node(
                nodes.validate_component_texts,
                inputs="component_texts_raw",
                outputs="component_texts_validated",
                name="validate_component_texts",
            ),
            Node(
                nodes.normalise_component_texts,
                inputs="component_texts_validated",
                outputs="component_texts_normalised",
                name="normalise_component_texts",
            ),
            Node(
                nodes.drop_duplicate_texts,
                inputs="component_texts_normalised",
                outputs="component_texts",
                name="drop_duplicate_texts",
            ),
            Node(
                nodes.split_component_texts,
                inputs=[
                    "component_texts",
                    "params:component_data.split",
                    "params:component_data.seed",
                ],
                outputs={
                    "train": "component_texts_train",
                    "validation": "component_texts_validation",
                    "test": "component_texts_test",
                },
                name="split_component_texts",
            ),
            Node(
                nodes.report_component_data,
                inputs=[
                    "component_texts_validated",
                    "component_texts_normalised",
                    "component_texts",
                    "component_texts_train",
                    "component_texts_validation",
                    "component_texts_test",
                ],
                outputs="component_data_report",
                name="report_component_data",
            ),
        ]
    )
