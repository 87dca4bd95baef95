"""Pipeline ``classify_components``: raw texts -> probability and label (on demand)."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import classify_component_texts


def create_pipeline(**kwargs) -> Pipeline:
    """One inference node reading the registered model."""
    return pipeline(
        [
            node(
                classify_component_texts,
                inputs=[
                    "component_texts_to_classify",
                    "component_compliance_registered_model",
                    "params:classify_components.max_chars",
                    "params:classify_components.raw_source",
                ],
                outputs="component_compliance_predictions",
                name="classify_component_texts",
                tags=["inference"],
            )
        ]
    )
