"""``battery_simulation``: real series -> raw telemetry (real-derived and simulated fleet)."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.battery_simulation import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """Validate the real series, then write the two raw telemetry files."""
    return Pipeline(
        [
            Node(
                nodes.validate_real_series,
                inputs="battery_real_daily",
                outputs="battery_real_daily_validated",
                name="validate_real_series",
            ),
            Node(
                nodes.simulate_raw_from_real,
                inputs=[
                    "battery_real_daily_validated",
                    "params:battery_simulation.seed",
                    "params:battery_simulation.raw_shape",
                ],
                outputs="battery_raw_telemetry_real",
                name="simulate_raw_from_real",
            ),
            Node(
                nodes.simulate_raw_fleet,
                inputs=[
                    "battery_real_daily_validated",
                    "params:battery_simulation.seed",
                    "params:battery_simulation.raw_shape",
                    "params:battery_simulation.fleet",
                ],
                outputs="battery_raw_telemetry_fleet",
                name="simulate_raw_fleet",
            ),
        ]
    )
