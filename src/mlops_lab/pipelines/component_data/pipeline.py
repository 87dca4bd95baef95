"""Pipeline ``component_data``: raw texts -> clean, de-duplicated, split texts."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import (
    drop_duplicate_texts,
    normalise_component_texts,
    report_component_data,
    split_component_texts,
    validate_component_texts,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Validate -> normalise -> de-duplicate -> stratified split -> report."""
    return pipeline(
        [
            node(
                validate_component_texts,
                inputs=["component_texts_raw", "params:component_data.raw_source"],
                outputs="component_texts_validated",
                name="validate_component_texts",
            ),
            node(
                normalise_component_texts,
                inputs="component_texts_validated",
                outputs="component_texts_normalised",
                name="normalise_component_texts",
            ),
            node(
                drop_duplicate_texts,
                inputs="component_texts_normalised",
                outputs="component_texts",
                name="drop_duplicate_texts",
            ),
            node(
                split_component_texts,
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
            node(
                report_component_data,
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
