"""``component_simulation``: seeded raw texts to ``01_raw``."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.component_simulation import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Labelled technicians' notes, and a sample of new notes for ``classify_components``."""
    return Pipeline(
        [
            Node(
                nodes.simulate_component_texts,
                inputs=[
                    "params:component_simulation.n_texts",
                    "params:component_simulation.seed",
                    "params:component_simulation.notes",
                ],
                outputs="component_texts_raw",
                name="simulate_component_texts",
            ),
            Node(
                nodes.simulate_texts_to_classify,
                inputs=[
                    "params:component_simulation.to_classify.n_texts",
                    "params:component_simulation.to_classify.seed",
                    "params:component_simulation.notes",
                ],
                outputs="component_texts_to_classify_sample",
                name="simulate_texts_to_classify",
            ),
        ]
    )
