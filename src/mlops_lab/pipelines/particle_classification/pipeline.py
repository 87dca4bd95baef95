"""``particle_classification``: CNN vs baselines on held-out days, register, gate to champion."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.particle_classification import nodes
from mlops_lab.promotion import decide_promotion

MODEL_INPUT = "aerosol_model_input"
SPLIT = "aerosol_split"
SCHEME = "params:particle_classification.label_scheme"
SEED = "params:particle_classification.seed"


def create_pipeline(**kwargs) -> Pipeline:
    """Split, train the CNN and the baselines, evaluate, explain, register, promote, report."""
    return Pipeline(
        [
            Node(
                nodes.split_days,
                inputs=[MODEL_INPUT, SCHEME, "params:particle_classification.split"],
                outputs=SPLIT,
                name="split_days",
                tags=["training"],
            ),
            Node(
                nodes.train_cnn,
                inputs=[MODEL_INPUT, SPLIT, SCHEME, "params:particle_classification.cnn", SEED],
                outputs={"model": "aerosol_cnn", "history": "aerosol_cnn_history"},
                name="train_cnn",
                tags=["training", "gpu"],
            ),
            Node(
                nodes.train_baselines,
                inputs=[
                    MODEL_INPUT,
                    SPLIT,
                    SCHEME,
                    "params:particle_classification.baselines",
                    SEED,
                ],
                outputs="aerosol_baselines",
                name="train_baselines",
                tags=["training"],
            ),
            Node(
                nodes.evaluate_classifiers,
                inputs=[
                    MODEL_INPUT,
                    SPLIT,
                    SCHEME,
                    "aerosol_cnn",
                    "aerosol_cnn_history",
                    "aerosol_baselines",
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
            Node(
                nodes.plot_confusion_matrix,
                inputs=["aerosol_test_predictions", MODEL_INPUT, SCHEME],
                outputs="aerosol_confusion_matrix_plot",
                name="plot_confusion_matrix",
                tags=["training"],
            ),
            Node(
                nodes.plot_training_curves,
                inputs=["aerosol_cnn_history", MODEL_INPUT],
                outputs="aerosol_training_curves_plot",
                name="plot_training_curves",
                tags=["training"],
            ),
            Node(
                nodes.format_epoch_metrics,
                inputs="aerosol_cnn_history",
                outputs="aerosol_epoch_metrics",
                name="format_epoch_metrics",
                tags=["training"],
            ),
            Node(
                nodes.explain_cnn_days,
                inputs=[
                    "aerosol_cnn",
                    MODEL_INPUT,
                    SPLIT,
                    SCHEME,
                    "aerosol_test_predictions",
                    "params:particle_classification.explanations",
                ],
                outputs="aerosol_cnn_attributions",
                name="explain_cnn_days",
                tags=["training"],
            ),
            Node(
                nodes.plot_cnn_attributions,
                inputs=[
                    "aerosol_cnn_attributions",
                    "params:particle_classification.explanations.top_regions",
                ],
                outputs="aerosol_occlusion_plot",
                name="plot_cnn_attributions",
                tags=["training"],
            ),
            Node(
                nodes.sample_training_data,
                inputs=[
                    "aerosol_dmps_raw",
                    "aerosol_labels",
                    "params:particle_classification.sample_rows",
                    SEED,
                ],
                outputs={"raw": "aerosol_raw_sample", "labels": "aerosol_labels_sample"},
                name="sample_training_data",
                tags=["training"],
            ),
            Node(
                nodes.describe_training_inputs,
                inputs=[MODEL_INPUT, SPLIT],
                outputs="aerosol_training_inputs",
                name="describe_training_inputs",
                tags=["training"],
            ),
            Node(
                nodes.package_classifier,
                inputs=["aerosol_cnn", MODEL_INPUT, SCHEME, "aerosol_dmps_raw", SPLIT],
                outputs="aerosol_event_classifier_challenger",
                name="package_classifier",
                tags=["training"],
            ),
            Node(
                nodes.score_promotion_candidates,
                inputs=[
                    "aerosol_event_classifier_challenger",
                    "aerosol_event_classifier_incumbent",
                    "aerosol_dmps_raw",
                    MODEL_INPUT,
                    SPLIT,
                    SCHEME,
                    "params:particle_classification.promotion.metric",
                ],
                outputs="aerosol_event_classifier_promotion_scores",
                name="score_promotion_candidates",
                tags=["training"],
            ),
            Node(
                decide_promotion,
                inputs=[
                    "aerosol_event_classifier_challenger",
                    "aerosol_event_classifier_incumbent",
                    "aerosol_event_classifier_promotion_scores",
                    "params:particle_classification.promotion",
                ],
                outputs=[
                    "aerosol_event_classifier_promotion",
                    "aerosol_event_classifier_promotion_report",
                ],
                name="promote_aerosol_event_classifier",
                tags=["training"],
            ),
            Node(
                nodes.build_aerosol_report,
                inputs=[
                    "aerosol_leaderboard",
                    "aerosol_test_predictions",
                    "aerosol_training_inputs",
                    "aerosol_event_classifier_promotion_report",
                    "aerosol_cnn_attributions",
                    "params:particle_classification.report",
                    "params:particle_classification.explanations.top_regions",
                ],
                outputs=[
                    "aerosol_event_classifier_report",
                    "aerosol_event_classifier_report_artifact",
                ],
                name="build_aerosol_report",
                tags=["training"],
            ),
        ]
    )
