"""``aerosol_data``: 01_raw -> 02_intermediate -> 03_primary -> 05_model_input, 08_reporting."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.aerosol_data import nodes

PREPROCESSING = "params:aerosol_data.preprocessing"
NOTE = "params:aerosol_data.data_note"


def create_pipeline(**kwargs) -> Pipeline:
    """Parse, map to the model grid, clean, label, build tensors, report and plot."""
    return Pipeline(
        [
            Node(
                nodes.parse_event_labels,
                inputs="aerosol_labels_raw",
                outputs="aerosol_labels_parsed",
                name="parse_event_labels",
            ),
            Node(
                nodes.parse_dmps_exports,
                inputs=["aerosol_dmps_raw", "params:aerosol_data.preprocessing.step_minutes"],
                outputs=["aerosol_dmps_parsed", "aerosol_dmps_metadata"],
                name="parse_dmps_exports",
            ),
            Node(
                nodes.map_to_model_grid,
                inputs=["aerosol_dmps_parsed", PREPROCESSING],
                outputs="aerosol_dmps_on_grid",
                name="map_to_model_grid",
            ),
            Node(
                nodes.clean_dmps,
                inputs=["aerosol_dmps_on_grid", PREPROCESSING],
                outputs=["aerosol_dmps_clean", "aerosol_day_quality"],
                name="clean_dmps",
            ),
            Node(
                nodes.build_labels_table,
                inputs=["aerosol_labels_parsed", "aerosol_day_quality"],
                outputs="aerosol_labels",
                name="build_labels_table",
            ),
            Node(
                nodes.build_model_input,
                inputs=["aerosol_dmps_clean", "aerosol_labels", PREPROCESSING, NOTE],
                outputs="aerosol_model_input",
                name="build_model_input",
            ),
            Node(
                nodes.build_data_report,
                inputs=["aerosol_labels_parsed", "aerosol_day_quality", "aerosol_labels", NOTE],
                outputs={
                    "summary": "aerosol_data_report",
                    "monthly": "aerosol_data_report_monthly",
                    "excluded": "aerosol_excluded_days",
                },
                name="build_data_report",
            ),
            Node(
                nodes.plot_example_days,
                inputs=[
                    "aerosol_dmps_clean",
                    "aerosol_labels",
                    PREPROCESSING,
                    "params:aerosol_data.example_days",
                    NOTE,
                ],
                outputs="aerosol_example_days_plot",
                name="plot_example_days",
            ),
        ]
    )
