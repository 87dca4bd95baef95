"""``battery_batch_scoring``: registered ``@champion`` + daily series -> 30-day forecasts."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.battery_batch_scoring import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Future covariates, forecasts with intervals, plot (run on demand).

    The model is ``battery_cycles_champion``: ``battery-cycles@champion`` unless the run
    names another alias or version (``--params battery_cycles_model=3``).
    """
    p = "params:battery_batch_scoring"
    return Pipeline(
        [
            Node(
                nodes.build_future_covariates,
                inputs=[
                    "daily_battery_time_series",
                    "battery_cycles_champion",
                    f"{p}.horizon",
                    f"{p}.duration_arima",
                ],
                outputs="battery_future_covariates",
                name="build_future_covariates",
                tags=["inference"],
            ),
            Node(
                nodes.score_batteries,
                inputs=["battery_cycles_champion", "battery_future_covariates"],
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
