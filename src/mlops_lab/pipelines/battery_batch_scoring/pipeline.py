"""``battery_batch_scoring``: registered model + daily series -> 30-day forecasts."""

from kedro.pipeline import Node, Pipeline


def create_pipeline(**kwargs) -> Pipeline:
    """Future covariates, forecasts with intervals, plot (run on demand)."""
    from mlops_lab.pipelines.battery_batch_scoring import nodes

    p = "params:battery_batch_scoring"
    return Pipeline(
        [
            Node(
                nodes.build_future_covariates,
                inputs=[
                    "daily_battery_time_series",
                    "battery_scoring_model",
                    f"{p}.horizon",
                    f"{p}.duration_arima",
                ],
                outputs="battery_future_covariates",
                name="build_future_covariates",
                tags=["inference"],
            ),
            Node(
                nodes.score_batteries,
                inputs=["battery_scoring_model", "battery_future_covariates"],
                outputs="battery_cycles_forecasts",
                name="score_batteries",
                tags=["inference"],
            ),
            Node(
                nodes.plot_forecasts,
                inputs=[
                    "daily_battery_time_series",
                    "battery_cycles_forecasts",
                    f"{p}.plot_history_days",
                    f"{p}.plot_columns",
                ],
                outputs="battery_cycles_forecasts_plot",
                name="plot_forecasts",
                tags=["inference"],
            ),
        ]
    )
