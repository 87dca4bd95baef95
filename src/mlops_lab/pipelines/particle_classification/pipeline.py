"""Pipeline ``particle_classification``: 05_model_input -> 06_models, 07, 08 and MLflow."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import (
    describe_training_inputs,
    evaluate_classifiers,
    format_epoch_metrics,
    package_classifier,
    plot_confusion_matrix,
    plot_training_curves,
    sample_training_data,
    split_days,
    train_cnn,
    train_feature_baseline,
)

SCHEME = "params:particle_classification.label_scheme"
SEED = "params:particle_classification.seed"


def create_pipeline(**kwargs) -> Pipeline:
    """Split, train CNN + feature baseline, evaluate with the majority class, log, register."""
    return pipeline(
        [
            node(
                split_days,
                inputs=["aerosol_model_input", SCHEME, "params:particle_classification.split"],
                outputs="aerosol_split",
                name="split_days",
                tags=["training"],
            ),
            node(
                train_cnn,
                inputs=[
                    "aerosol_model_input",
                    "aerosol_split",
                    SCHEME,
                    "params:particle_classification.cnn",
                    SEED,
                ],
                outputs={"model": "aerosol_cnn", "history": "aerosol_cnn_history"},
                name="train_cnn",
                tags=["training", "gpu"],
            ),
            node(
                train_feature_baseline,
                inputs=[
                    "aerosol_model_input",
                    "aerosol_split",
                    SCHEME,
                    "params:particle_classification.baseline",
                    SEED,
                ],
                outputs="aerosol_feature_baseline",
                name="train_feature_baseline",
                tags=["training"],
            ),
            node(
                evaluate_classifiers,
                inputs=[
                    "aerosol_model_input",
                    "aerosol_split",
                    SCHEME,
                    "aerosol_cnn",
                    "aerosol_cnn_history",
                    "aerosol_feature_baseline",
                ],
                outputs={
                    "leaderboard": "aerosol_leaderboard",
                    "metrics": "aerosol_evaluation_metrics",
                    "confusion": "aerosol_confusion_matrix",
                    "predictions": "aerosol_test_predictions",
                },
                name="evaluate_classifiers",
                tags=["training"],
            ),
            node(
                plot_confusion_matrix,
                inputs=["aerosol_test_predictions", "aerosol_model_input", SCHEME],
                outputs="aerosol_confusion_matrix_plot",
                name="plot_confusion_matrix",
            ),
            node(
                plot_training_curves,
                inputs="aerosol_cnn_history",
                outputs="aerosol_training_curves_plot",
                name="plot_training_curves",
            ),
            node(
                format_epoch_metrics,
                inputs="aerosol_cnn_history",
                outputs="aerosol_epoch_metrics",
                name="format_epoch_metrics",
            ),
            node(
                sample_training_data,
                inputs=[
                    "aerosol_dmps_raw",
                    "aerosol_labels",
                    "params:particle_classification.sample_rows",
                    SEED,
                ],
                outputs={"raw": "aerosol_raw_sample", "labels": "aerosol_labels_sample"},
                name="sample_training_data",
            ),
            node(
                describe_training_inputs,
                inputs=["aerosol_model_input", "aerosol_split"],
                outputs="aerosol_training_inputs",
                name="describe_training_inputs",
            ),
            node(
                package_classifier,
                inputs=[
                    "aerosol_cnn",
                    "aerosol_model_input",
                    SCHEME,
                    "aerosol_dmps_raw",
                    "aerosol_split",
                ],
                outputs="aerosol_event_classifier",
                name="package_classifier",
                tags=["training"],
            ),
        ]
    )
