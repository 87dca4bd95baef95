"""``component_compliance``: train the LSTM text classifier, register it, gate its promotion."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.component_compliance import nodes
from mlops_lab.promotion import decide_promotion


def create_pipeline(**kwargs) -> Pipeline:
    """Vocabulary (train only) -> LSTM -> registry @challenger -> test analysis -> gate."""
    return Pipeline(
        [
            Node(
                nodes.fit_text_vectoriser,
                inputs=["component_texts_train", "params:component_compliance.max_tokens"],
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
                    "params:component_compliance.sequence_length",
                    "params:component_compliance.model",
                    "params:component_compliance.training",
                    "params:component_compliance.embeddings_path",
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
                nodes.package_compliance_model,
                inputs=[
                    "component_compliance_model",
                    "params:component_compliance.input_example",
                    "params:component_compliance.threshold",
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
                inputs="component_test_predictions",
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
