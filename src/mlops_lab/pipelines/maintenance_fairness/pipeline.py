"""``maintenance_fairness``: group metrics, disparity evidence, mitigation, decision, report."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.maintenance_fairness import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Assess -> mitigate -> plot, decide, proxy check -> metrics -> HTML report."""
    return Pipeline(
        [
            Node(
                nodes.assess_model_fairness,
                inputs=[
                    "car_maintenance_challenger",
                    "maintenance_model_input_test",
                    "maintenance_sensitive_test",
                    "params:maintenance_fairness.groups",
                    "params:maintenance_fairness.age_band_edges",
                    "params:maintenance_fairness.evidence",
                ],
                outputs=["maintenance_group_metrics", "maintenance_disparity"],
                name="assess_model_fairness",
                tags=["training"],
            ),
            Node(
                nodes.mitigate_model_disparity,
                inputs=[
                    "car_maintenance_challenger",
                    "maintenance_fit_rows",
                    "maintenance_validation_rows",
                    "maintenance_model_input_test",
                    "maintenance_sensitive_train",
                    "maintenance_sensitive_test",
                    "params:maintenance_fairness.groups",
                    "params:maintenance_fairness.mitigation",
                    "params:maintenance_fairness.evidence",
                ],
                outputs="maintenance_mitigation_comparison",
                name="mitigate_model_disparity",
                tags=["training"],
            ),
            Node(
                nodes.plot_performance_against_disparity,
                inputs=["maintenance_mitigation_comparison", "params:maintenance_fairness.groups"],
                outputs="maintenance_mitigation_plot",
                name="plot_performance_against_disparity",
                tags=["training"],
            ),
            Node(
                nodes.decide_mitigation,
                inputs=[
                    "maintenance_mitigation_comparison",
                    "params:maintenance_fairness.decision_rule",
                    "params:maintenance_fairness.groups",
                ],
                outputs="maintenance_fairness_decision",
                name="decide_mitigation",
                tags=["training"],
            ),
            Node(
                nodes.check_sensitive_proxies,
                inputs=[
                    "car_maintenance_challenger",
                    "maintenance_fit_rows",
                    "maintenance_model_input_test",
                    "maintenance_sensitive_train",
                    "maintenance_sensitive_test",
                    "params:maintenance_fairness.groups",
                    "params:maintenance_fairness.evidence",
                ],
                outputs="maintenance_proxy_check",
                name="check_sensitive_proxies",
                tags=["training"],
            ),
            Node(
                nodes.explain_model_predictions,
                inputs=[
                    "car_maintenance_challenger",
                    "maintenance_model_input_test",
                    "params:maintenance_fairness.explanations",
                ],
                outputs="maintenance_shap_values",
                name="explain_maintenance_predictions",
                tags=["training"],
            ),
            Node(
                nodes.collect_fairness_metrics,
                inputs=["maintenance_mitigation_comparison", "maintenance_proxy_check"],
                outputs="maintenance_fairness_mlflow_metrics",
                name="collect_fairness_metrics",
                tags=["training"],
            ),
            Node(
                nodes.build_maintenance_report,
                inputs=[
                    "maintenance_model_card",
                    "maintenance_leakage_audit",
                    "maintenance_framing_comparison",
                    "maintenance_group_metrics",
                    "maintenance_disparity",
                    "maintenance_mitigation_comparison",
                    "maintenance_fairness_decision",
                    "maintenance_proxy_check",
                    "car_maintenance_promotion_report",
                    "maintenance_shap_values",
                ],
                outputs=["maintenance_report", "maintenance_report_artifact"],
                name="build_maintenance_report",
                tags=["training"],
            ),
        ]
    )
