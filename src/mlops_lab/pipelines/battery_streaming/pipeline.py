"""``battery_streaming``: landed telemetry -> forecasts of ``battery-cycles-lstm@champion``."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.battery_streaming import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Starting windows, validation (quarantine sink), scoring (forecast sink)."""
    return Pipeline(
        [
            Node(
                nodes.starting_windows,
                inputs=["daily_battery_time_series", "battery_cycles_lstm_champion"],
                outputs="battery_stream_starting_windows",
                name="prepare_stream_windows",
                tags=["inference"],
            ),
            Node(
                nodes.split_telemetry_stream,
                inputs=["battery_telemetry_landing", "battery_stream_starting_windows"],
                outputs=["battery_stream_valid_rows", "battery_stream_quarantine"],
                name="split_telemetry_stream",
                tags=["inference"],
            ),
            Node(
                nodes.score_telemetry_stream,
                inputs=[
                    "battery_stream_valid_rows",
                    "battery_cycles_lstm_champion",
                    "battery_stream_starting_windows",
                ],
                outputs="battery_stream_forecasts",
                name="score_telemetry_stream",
                tags=["inference"],
            ),
        ]
    )
