"""``classify_components``: raw texts -> probability and label with ``@champion`` (on demand)."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.classify_components import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """One inference node reading the registered champion (or the version asked for)."""
    return Pipeline(
        [
            Node(
                nodes.classify_component_texts,
                inputs=[
                    "component_texts_to_classify",
                    "component_compliance_champion",
                    "params:classify_components.max_chars",
                ],
                outputs="component_compliance_predictions",
                name="classify_component_texts",
                tags=["inference"],
            )
        ]
    )
