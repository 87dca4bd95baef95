"""``battery_forecasting``: daily series -> leaderboard, hold-out report, ``battery-cycles``."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.battery_forecasting import nodes
from mlops_lab.promotion import decide_promotion


def create_pipeline(**kwargs) -> Pipeline:
    """Hold-out split, search, ensemble, hold-out evaluation, final model, promotion,
    explanations and the HTML report."""
    p = "params:battery_forecasting"
    return Pipeline(
        [
            Node(
                nodes.split_holdout,
                inputs=["daily_battery_time_series", f"{p}.horizon"],
                outputs=["battery_forecast_history", "battery_forecast_holdout"],
                name="split_holdout",
                tags=["training"],
            ),
            Node(
                nodes.search_forecasters,
                inputs=[
                    "battery_forecast_history",
                    f"{p}.candidates",
                    f"{p}.horizon",
                    f"{p}.validation",
                    f"{p}.search",
                    f"{p}.seed",
                ],
                outputs={
                    "leaderboard": "battery_search_leaderboard",
                    "forecasts": "battery_search_forecasts",
                    "summary": "battery_search_summary",
                },
                name="search_forecasters",
                tags=["training"],
            ),
            Node(
                nodes.add_ensemble,
                inputs=[
                    "battery_search_leaderboard",
                    "battery_search_forecasts",
                    "battery_forecast_history",
                    f"{p}.horizon",
                    f"{p}.validation",
                    f"{p}.ensemble",
                ],
                outputs={
                    "leaderboard": "battery_leaderboard",
                    "leaderboard_report": "battery_report_leaderboard",
                    "best_forecasts": "battery_best_validation_forecasts",
                    "best_metrics": "battery_metrics_best",
                },
                name="add_ensemble",
                tags=["training"],
            ),
            Node(
                nodes.evaluate_on_holdout,
                inputs=[
                    "battery_leaderboard",
                    "battery_forecast_history",
                    "battery_forecast_holdout",
                    f"{p}.real_batteries",
                ],
                outputs={
                    "report": "battery_report_holdout",
                    "forecasts": "battery_holdout_forecasts",
                    "metrics": "battery_metrics_holdout",
                },
                name="evaluate_on_holdout",
                tags=["training"],
            ),
            Node(
                nodes.train_final_model,
                inputs=[
                    "battery_leaderboard",
                    "battery_best_validation_forecasts",
                    "daily_battery_time_series",
                    f"{p}.example_rows",
                ],
                outputs="battery_cycles_challenger",
                name="train_final_model",
                tags=["training"],
            ),
            Node(
                nodes.score_promotion_candidates,
                inputs=[
                    "battery_cycles_challenger",
                    "battery_cycles_incumbent",
                    "battery_forecast_history",
                    "battery_forecast_holdout",
                ],
                outputs="battery_cycles_promotion_scores",
                name="score_battery_cycles_candidates",  # node names are unique project-wide
                tags=["training"],
            ),
            Node(
                decide_promotion,
                inputs=[
                    "battery_cycles_challenger",
                    "battery_cycles_incumbent",
                    "battery_cycles_promotion_scores",
                    f"{p}.promotion",
                ],
                outputs=["battery_cycles_promotion", "battery_cycles_promotion_report"],
                name="promote_battery_cycles",
                tags=["training"],
            ),
            Node(
                nodes.plot_validation_forecasts,
                inputs=["battery_best_validation_forecasts", f"{p}.plot_columns"],
                outputs="battery_plot_validation_forecasts",
                name="plot_validation_forecasts",
                tags=["training"],
            ),
            Node(
                nodes.plot_residuals,
                inputs="battery_best_validation_forecasts",
                outputs="battery_plot_residuals",
                name="plot_residuals",
                tags=["training"],
            ),
            Node(
                nodes.explain_model,
                inputs=[
                    "battery_cycles_challenger",
                    f"{p}.horizon",
                    f"{p}.explanations.n_local",
                ],
                outputs={
                    "shap_values": "battery_report_shap_values",
                    "global": "battery_report_global_importance",
                    "bar_plot": "battery_plot_shap_bar",
                    "beeswarm_plot": "battery_plot_shap_beeswarm",
                    "waterfall_plot": "battery_plot_shap_waterfall",
                },
                name="explain_model",
                tags=["training"],
            ),
            Node(
                nodes.build_battery_report,
                inputs=[
                    "battery_report_holdout",
                    "battery_holdout_forecasts",
                    "battery_forecast_history",
                    "battery_cycles_promotion_report",
                    "battery_report_shap_values",
                    f"{p}.real_batteries",
                    f"{p}.report",
                    f"{p}.explanations.n_local",
                ],
                outputs=["battery_cycles_report", "battery_cycles_report_artifact"],
                name="build_battery_report",
                tags=["training"],
            ),
        ]
    )
