"""``component_compliance``: train the character LSTM, calibrate, register, gate its promotion."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.component_compliance import nodes
from mlops_lab.promotion import decide_promotion


def create_pipeline(**kwargs) -> Pipeline:
    """Vocabulary and window (train) -> LSTM -> temperature and threshold (validation) ->
    registry @challenger -> analysis on held-out families -> gate."""
    return Pipeline(
        [
            Node(
                nodes.fit_text_vectoriser,
                inputs=[
                    "component_texts_train",
                    "params:component_compliance.max_tokens",
                    "params:component_compliance.window",
                ],
                outputs="component_vocabulary",
                name="fit_text_vectoriser",
                tags=["training"],
            ),
            Node(
                nodes.train_compliance_classifier,
                inputs=[
                    "component_texts_train",
                    "component_texts_validation",
                    "component_vocabulary",
                    "params:component_compliance.model",
                    "params:component_compliance.training",
                    "params:component_compliance.seed",
                ],
                outputs=["component_compliance_model", "component_training_history"],
                name="train_compliance_classifier",
                tags=["training", "gpu"],
            ),
            Node(
                nodes.summarise_training,
                inputs="component_training_history",
                outputs=["component_training_curves", "component_epoch_mlflow_metrics"],
                name="summarise_training",
                tags=["training"],
            ),
            Node(
                nodes.calibrate_compliance_model,
                inputs=[
                    "component_compliance_model",
                    "component_texts_validation",
                    "params:component_compliance.calibration",
                ],
                outputs=[
                    "component_calibration",
                    "component_reliability_diagram",
                    "component_calibration_mlflow_metrics",
                ],
                name="calibrate_compliance_model",
                tags=["training"],
            ),
            Node(
                nodes.package_compliance_model,
                inputs=[
                    "component_compliance_model",
                    "component_calibration",
                    "params:component_compliance.input_example",
                    "params:component_compliance.max_chars",
                ],
                outputs=["component_compliance_challenger", "component_model_card"],
                name="package_compliance_model",
                tags=["training"],
            ),
            Node(
                nodes.predict_test_texts,
                inputs=["component_compliance_challenger", "component_texts_test"],
                outputs="component_test_predictions",
                name="predict_test_texts",
                tags=["training"],
            ),
            Node(
                nodes.analyse_classification_errors,
                inputs=["component_test_predictions", "params:component_compliance.evaluation"],
                outputs={
                    "metrics": "component_test_metrics",
                    "mlflow_metrics": "component_test_mlflow_metrics",
                    "slices": "component_slice_accuracy",
                    "misclassified": "component_misclassified_texts",
                    "confusion_matrix": "component_confusion_matrix",
                },
                name="analyse_classification_errors",
                tags=["training"],
            ),
            Node(
                nodes.compare_with_tfidf_baseline,
                inputs=[
                    "component_texts_train",
                    "component_test_predictions",
                    "params:component_compliance.baseline",
                    "params:component_compliance.evaluation.bootstrap",
                    "params:component_compliance.seed",
                ],
                outputs=["component_leaderboard", "component_leaderboard_mlflow_metrics"],
                name="compare_with_tfidf_baseline",
                tags=["training"],
            ),
            Node(
                nodes.score_promotion_candidates,
                inputs=[
                    "component_compliance_challenger",
                    "component_compliance_incumbent",
                    "component_texts_test",
                ],
                outputs="component_compliance_promotion_scores",
                name="score_component_compliance_candidates",
                tags=["training"],
            ),
            Node(
                decide_promotion,
                inputs=[
                    "component_compliance_challenger",
                    "component_compliance_incumbent",
                    "component_compliance_promotion_scores",
                    "params:component_compliance.promotion",
                ],
                outputs=["component_compliance_promotion", "component_compliance_promotion_report"],
                name="promote_component_compliance",
                tags=["training"],
            ),
        ]
    )
