"""``component_compliance``: the character network and a TF-IDF baseline, both calibrated
and registered, the better one gated for promotion, and the model's report."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.component_compliance import nodes
from mlops_lab.promotion import decide_promotion


def create_pipeline(**kwargs) -> Pipeline:
    """Vocabulary and window (train) -> network and TF-IDF baseline -> temperature and
    threshold each (validation) -> both scored on held-out families (and, as a check that
    no choice uses, on the hand-written notes) -> runner-up registered, then the better as
    @challenger -> analysis, attributions -> gate -> report."""
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
                outputs=["component_network_pyfunc", "component_model_card"],
                name="package_compliance_model",
                tags=["training"],
            ),
            Node(
                nodes.fit_tfidf_classifier,
                inputs=[
                    "component_texts_train",
                    "component_vocabulary",
                    "params:component_compliance.baseline",
                    "params:component_compliance.seed",
                ],
                outputs="component_tfidf_model",
                name="fit_tfidf_classifier",
                tags=["training"],
            ),
            Node(
                nodes.calibrate_tfidf_classifier,
                inputs=[
                    "component_tfidf_model",
                    "component_texts_validation",
                    "component_vocabulary",
                    "params:component_compliance.calibration",
                ],
                outputs=[
                    "component_tfidf_calibration",
                    "component_tfidf_calibration_mlflow_metrics",
                ],
                name="calibrate_tfidf_classifier",
                tags=["training"],
            ),
            Node(
                nodes.package_tfidf_model,
                inputs=[
                    "component_tfidf_model",
                    "component_tfidf_calibration",
                    "component_vocabulary",
                    "params:component_compliance.input_example",
                    "params:component_compliance.max_chars",
                ],
                outputs="component_tfidf_pyfunc",
                name="package_tfidf_model",
                tags=["training"],
            ),
            Node(
                nodes.rank_compliance_candidates,
                inputs=[
                    "component_network_pyfunc",
                    "component_tfidf_pyfunc",
                    "component_texts_test",
                    "params:component_compliance.evaluation.bootstrap",
                ],
                outputs={
                    "leaderboard": "component_leaderboard",
                    "ranking": "component_candidate_ranking",
                    "predictions": "component_candidate_predictions",
                    "mlflow_metrics": "component_leaderboard_mlflow_metrics",
                },
                name="rank_compliance_candidates",
                tags=["training"],
            ),
            Node(
                nodes.score_independent_notes,
                inputs=[
                    "component_network_pyfunc",
                    "component_tfidf_pyfunc",
                    "component_independent_notes",
                    "component_sealed_notes",
                    "component_sealed_notes_2",
                    "params:component_compliance.evaluation.bootstrap",
                ],
                outputs={
                    "scores": "component_independent_scores",
                    "mlflow_metrics": "component_independent_mlflow_metrics",
                },
                name="score_independent_notes",
                tags=["training"],
            ),
            Node(
                nodes.register_compliance_runner_up,
                inputs=[
                    "component_network_pyfunc",
                    "component_tfidf_pyfunc",
                    "component_candidate_ranking",
                ],
                outputs="component_compliance_runner_up",
                name="register_compliance_runner_up",
                tags=["training"],
            ),
            Node(
                nodes.register_compliance_challenger,
                inputs=[
                    "component_network_pyfunc",
                    "component_tfidf_pyfunc",
                    "component_candidate_ranking",
                    "component_compliance_runner_up",
                ],
                outputs=["component_compliance_challenger", "component_registration"],
                name="register_compliance_challenger",
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
                nodes.attribute_note_tokens,
                inputs=[
                    "component_network_pyfunc",
                    "component_tfidf_pyfunc",
                    "component_candidate_predictions",
                    "params:component_compliance.attribution",
                ],
                outputs="component_token_attributions",
                name="attribute_note_tokens",
                tags=["training"],
            ),
            Node(
                nodes.score_promotion_candidates,
                inputs=[
                    "component_compliance_challenger",
                    "component_compliance_incumbent",
                    "component_test_predictions",
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
            Node(
                nodes.build_compliance_report,
                inputs=[
                    "component_model_card",
                    "component_data_report",
                    "component_calibration",
                    "component_tfidf_calibration",
                    "component_leaderboard",
                    "component_independent_scores",
                    "component_slice_accuracy",
                    "component_test_metrics",
                    "component_token_attributions",
                    "component_misclassified_texts",
                    "component_registration",
                    "component_compliance_promotion_report",
                ],
                outputs=["component_report", "component_report_artifact"],
                name="build_compliance_report",
                tags=["training"],
            ),
        ]
    )
