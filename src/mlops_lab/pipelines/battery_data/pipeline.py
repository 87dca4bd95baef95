"""``battery_data``: raw telemetry -> ``daily_battery_time_series`` + preparation report."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.battery_data import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """The lab's preparation, one node per step."""
    return Pipeline(
        [
            Node(
                nodes.combine_raw_telemetry,
                inputs=["battery_raw_telemetry_real", "battery_raw_telemetry_fleet"],
                outputs="battery_telemetry_combined",
                name="combine_raw_telemetry",
            ),
            Node(
                nodes.drop_duplicate_timestamps,
                inputs="battery_telemetry_combined",
                outputs="battery_telemetry_deduplicated",
                name="drop_duplicate_timestamps",
            ),
            Node(
                nodes.regularise_to_daily,
                inputs="battery_telemetry_deduplicated",
                outputs="battery_telemetry_daily_with_gaps",
                name="regularise_to_daily",
            ),
            Node(
                nodes.fill_missing_days,
                inputs="battery_telemetry_daily_with_gaps",
                outputs="daily_battery_time_series",
                name="fill_missing_days",
            ),
            Node(
                nodes.report_preparation,
                inputs=[
                    "battery_telemetry_combined",
                    "battery_telemetry_deduplicated",
                    "daily_battery_time_series",
                ],
                outputs=["battery_preparation_report", "battery_preparation_totals"],
                name="report_preparation",
            ),
            Node(
                nodes.plot_daily_cycles,
                inputs=["daily_battery_time_series", "params:battery_data.plot_columns"],
                outputs="battery_daily_cycles_plot",
                name="plot_daily_cycles",
            ),
        ]
    )
