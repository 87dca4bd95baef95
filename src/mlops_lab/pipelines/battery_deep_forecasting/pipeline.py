"""``battery_deep_forecasting``: search history -> LSTM ``battery-cycles-lstm``, gate, board."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.battery_deep_forecasting import nodes
from mlops_lab.promotion import decide_promotion


def create_pipeline(**kwargs) -> Pipeline:
    """Train on the search's history, score on its held-out days, promote, compare."""
    p = "params:battery_deep_forecasting"
    return Pipeline(
        [
            Node(
                nodes.train_battery_lstm,
                inputs=[
                    "battery_forecast_history",
                    f"{p}.horizon",
                    f"{p}.windows",
                    f"{p}.network",
                    f"{p}.training",
                    f"{p}.seed",
                ],
                outputs=["battery_cycles_lstm_challenger", "battery_lstm_training_record"],
                name="train_battery_lstm",
                tags=["training", "gpu"],
            ),
            Node(
                nodes.summarise_lstm_training,
                inputs="battery_lstm_training_record",
                outputs=["battery_plot_lstm_training_curves", "battery_metrics_lstm_epochs"],
                name="summarise_lstm_training",
                tags=["training"],
            ),
            Node(
                nodes.evaluate_battery_lstm,
                inputs=[
                    "battery_cycles_lstm_challenger",
                    "battery_forecast_history",
                    "battery_forecast_holdout",
                ],
                outputs={
                    "report": "battery_report_lstm_holdout",
                    "forecasts": "battery_lstm_holdout_forecasts",
                    "metrics": "battery_metrics_lstm_holdout",
                },
                name="evaluate_battery_lstm",
                tags=["training"],
            ),
            Node(
                nodes.score_promotion_candidates,
                inputs=[
                    "battery_cycles_lstm_challenger",
                    "battery_cycles_lstm_incumbent",
                    "battery_forecast_history",
                    "battery_forecast_holdout",
                ],
                outputs="battery_cycles_lstm_promotion_scores",
                name="score_battery_cycles_lstm_candidates",  # node names are unique project-wide
                tags=["training"],
            ),
            Node(
                decide_promotion,
                inputs=[
                    "battery_cycles_lstm_challenger",
                    "battery_cycles_lstm_incumbent",
                    "battery_cycles_lstm_promotion_scores",
                    f"{p}.promotion",
                ],
                outputs=["battery_cycles_lstm_promotion", "battery_cycles_lstm_promotion_report"],
                name="promote_battery_cycles_lstm",
                tags=["training"],
            ),
            Node(
                nodes.combine_leaderboards,
                inputs=[
                    "battery_leaderboard",
                    "battery_report_lstm_holdout",
                    "battery_lstm_training_record",
                    "battery_forecast_history",
                    "battery_forecast_holdout",
                    f"{p}.leaderboard_top_k",
                ],
                outputs=["battery_leaderboard_with_lstm", "battery_plot_leaderboard_with_lstm"],
                name="combine_battery_leaderboards",
                tags=["training"],
            ),
            Node(
                nodes.explain_battery_lstm,
                inputs=[
                    "battery_cycles_lstm_challenger",
                    "battery_forecast_history",
                    f"{p}.explanations.block_days",
                ],
                outputs=["battery_report_lstm_attribution", "battery_plot_lstm_attribution"],
                name="explain_battery_lstm",
                tags=["training"],
            ),
            Node(
                nodes.build_battery_lstm_report,
                inputs=[
                    "battery_report_lstm_holdout",
                    "battery_lstm_holdout_forecasts",
                    "battery_forecast_history",
                    "battery_cycles_lstm_promotion_report",
                    "battery_report_lstm_attribution",
                    f"{p}.report",
                    f"{p}.explanations.block_days",
                ],
                outputs=["battery_cycles_lstm_report", "battery_cycles_lstm_report_artifact"],
                name="build_battery_lstm_report",
                tags=["training"],
            ),
        ]
    )
