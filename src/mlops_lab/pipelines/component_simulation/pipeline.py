"""Pipeline ``component_simulation``: seeded raw texts to ``01_raw``."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import simulate_component_texts


def create_pipeline(**kwargs) -> Pipeline:
    """One node writing ``component_texts_raw``."""
    return pipeline(
        [
            node(
                simulate_component_texts,
                inputs=[
                    "params:component_simulation.n_texts",
                    "params:component_simulation.seed",
                    "params:component_simulation.year_min",
                    "params:component_simulation.year_max",
                    "params:component_simulation.max_tokens",
                ],
                outputs="component_texts_raw",
                name="simulate_component_texts",
            )
        ]
    )
