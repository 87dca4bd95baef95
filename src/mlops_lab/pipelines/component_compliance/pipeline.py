"""Pipeline ``component_compliance``: fit the vectoriser, train, evaluate, register."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import (
    analyse_classification_errors,
    evaluate_compliance_classifier,
    fit_text_vectoriser,
    log_tracking_location,
    package_compliance_model,
    summarise_training,
    train_compliance_classifier,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Vocabulary (train only) -> LSTM -> test evaluation and error analysis -> registry."""
    return pipeline(
        [
            node(
                fit_text_vectoriser,
                inputs=["component_texts_train", "params:component_compliance.max_tokens"],
                outputs="component_vocabulary",
                name="fit_text_vectoriser",
                tags=["training"],
            ),
            node(
                train_compliance_classifier,
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
            node(
                summarise_training,
                inputs=[
                    "component_training_history",
                    "params:component_compliance.training.learning_rate",
                ],
                outputs=[
                    "component_training_curves",
                    "component_epoch_metrics",
                    "component_learning_rate",
                ],
                name="summarise_training",
            ),
            node(
                evaluate_compliance_classifier,
                inputs=[
                    "component_compliance_model",
                    "component_texts_test",
                    "component_vocabulary",
                    "params:component_compliance.sequence_length",
                    "params:component_compliance.threshold",
                ],
                outputs=["component_eval_metrics", "component_test_predictions"],
                name="evaluate_compliance_classifier",
            ),
            node(
                analyse_classification_errors,
                inputs="component_test_predictions",
                outputs={
                    "metrics": "component_test_metrics",
                    "mlflow_metrics": "component_test_mlflow_metrics",
                    "slices": "component_slice_accuracy",
                    "misclassified": "component_misclassified_texts",
                    "confusion_matrix": "component_confusion_matrix",
                },
                name="analyse_classification_errors",
            ),
            node(
                package_compliance_model,
                inputs=[
                    "component_compliance_model",
                    "component_vocabulary",
                    "params:component_compliance.sequence_length",
                    "params:component_compliance.threshold",
                    "params:component_compliance.max_chars",
                ],
                outputs=["component_compliance_pyfunc", "component_model_card"],
                name="package_compliance_model",
                tags=["training"],
            ),
            node(
                log_tracking_location,
                inputs=["component_model_card", "component_test_metrics"],
                outputs="component_compliance_run",
                name="log_tracking_location",
            ),
        ]
    )
