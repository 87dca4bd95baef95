"""``classify_days``: raw DMPS exports + the champion model -> a class per day (07_model_output)."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.classify_days import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """One inference node; run on demand (``kedro run -p classify_days``)."""
    return Pipeline(
        [
            Node(
                nodes.classify_dmps_days,
                inputs=["aerosol_dmps_to_classify", "aerosol_event_classifier_champion"],
                outputs="aerosol_day_predictions",
                name="classify_dmps_days",
                tags=["inference"],
            )
        ]
    )
