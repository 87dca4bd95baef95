"""Project pipelines."""

from kedro.framework.project import find_pipelines
from kedro.pipeline import Pipeline

# Pipelines that generate stand-ins for data the lab could not publish. They are part of
# `__default__` so that a fresh clone's first `kedro run` works with nothing else.
SIMULATION_PIPELINES = ("aerosol_simulation", "battery_simulation", "component_simulation")
# Inference pipelines need a registered model and new raw data, so they are run on demand
# (`kedro run -p classify_days`), not as part of `__default__`.
ON_DEMAND_PIPELINES = (
    "classify_days",
    "classify_components",
    "battery_batch_scoring",
    "battery_streaming",  # needs a champion and landed files; Spark
)


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects. ``__default__`` runs every
        pipeline except the on-demand inference ones.
    """
    pipelines = find_pipelines(raise_errors=True)
    pipelines["__default__"] = sum(
        (p for name, p in pipelines.items() if name not in ON_DEMAND_PIPELINES),
        Pipeline([]),
    )
    return pipelines
