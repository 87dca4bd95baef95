"""``maintenance_training``: leakage audit, framed comparison, registry, promotion gate."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.maintenance_training import nodes
from mlops_lab.promotion import decide_promotion


def create_pipeline(**kwargs) -> Pipeline:
    """Audit -> framings (leaks refused) -> candidates -> thresholds -> test -> register -> gate."""
    return Pipeline(
        [
            Node(
                nodes.audit_feature_leakage,
                inputs=["maintenance_model_input_train", "params:maintenance_training.leakage"],
                outputs="maintenance_leakage_audit",
                name="audit_feature_leakage",
                tags=["training"],
            ),
            Node(
                nodes.select_framings,
                inputs=[
                    "maintenance_leakage_audit",
                    "params:maintenance_training.framings",
                    "params:maintenance_training.allowed_leaks",
                ],
                outputs="maintenance_framings",
                name="select_maintenance_framings",
                tags=["training"],
            ),
            Node(
                nodes.carve_validation_split,
                inputs=[
                    "maintenance_model_input_train",
                    "params:maintenance_training.validation_size",
                    "params:maintenance_training.seed",
                ],
                outputs=["maintenance_fit_rows", "maintenance_validation_rows"],
                name="carve_maintenance_validation_split",
                tags=["training"],
            ),
            Node(
                nodes.fit_candidates,
                inputs=[
                    "maintenance_fit_rows",
                    "maintenance_framings",
                    "params:maintenance_training.candidates",
                    "params:maintenance_training.seed",
                ],
                outputs="maintenance_candidate_models",
                name="fit_maintenance_candidates",
                tags=["training"],
            ),
            Node(
                nodes.choose_thresholds,
                inputs=["maintenance_candidate_models", "maintenance_validation_rows"],
                outputs="maintenance_model_selection",
                name="choose_maintenance_thresholds",
                tags=["training"],
            ),
            Node(
                nodes.evaluate_candidates,
                inputs=[
                    "maintenance_candidate_models",
                    "maintenance_model_selection",
                    "maintenance_model_input_test",
                    "params:maintenance_training.bootstrap",
                ],
                outputs=["maintenance_framing_comparison", "maintenance_test_mlflow_metrics"],
                name="evaluate_maintenance_candidates",
                tags=["training"],
            ),
            Node(
                nodes.package_maintenance_model,
                inputs=[
                    "maintenance_candidate_models",
                    "maintenance_model_selection",
                    "maintenance_framings",
                    "maintenance_raw",
                    "maintenance_model_input_test",
                    "params:maintenance_training.model_card",
                    "params:maintenance_data.min_age_days",
                ],
                outputs="car_maintenance_challenger",
                name="package_maintenance_model",
                tags=["training"],
            ),
            Node(
                nodes.write_model_card,
                inputs=[
                    "maintenance_model_selection",
                    "maintenance_framing_comparison",
                    "maintenance_framings",
                    "maintenance_leakage_audit",
                    "params:maintenance_training.model_card",
                ],
                outputs="maintenance_model_card",
                name="write_maintenance_model_card",
                tags=["training"],
            ),
            Node(
                nodes.score_promotion_candidates,
                inputs=[
                    "car_maintenance_challenger",
                    "car_maintenance_incumbent",
                    "maintenance_raw",
                    "maintenance_model_input_test",
                ],
                outputs="car_maintenance_promotion_scores",
                name="score_car_maintenance_candidates",
                tags=["training"],
            ),
            Node(
                decide_promotion,
                inputs=[
                    "car_maintenance_challenger",
                    "car_maintenance_incumbent",
                    "car_maintenance_promotion_scores",
                    "params:maintenance_training.promotion",
                ],
                outputs=["car_maintenance_promotion", "car_maintenance_promotion_report"],
                name="promote_car_maintenance",
                tags=["training"],
            ),
        ]
    )
