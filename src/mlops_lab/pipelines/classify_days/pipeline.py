"""Pipeline ``classify_days``: 01_raw exports + registered model -> 07_model_output."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import classify_dmps_days


def create_pipeline(**kwargs) -> Pipeline:
    """One inference node; run on demand (``kedro run -p classify_days``)."""
    return pipeline(
        [
            node(
                classify_dmps_days,
                inputs=["aerosol_dmps_to_classify", "aerosol_event_classifier"],
                outputs="aerosol_day_predictions",
                name="classify_dmps_days",
                tags=["inference"],
            )
        ]
    )
