"""Pipeline ``aerosol_data``: 01_raw -> 02_intermediate -> 03_primary -> 05_model_input, 08."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import (
    build_data_report,
    build_labels_table,
    build_model_input,
    clean_dmps,
    map_to_model_grid,
    parse_dmps_exports,
    parse_event_labels,
    plot_example_days,
)

PREPROCESSING = "params:aerosol_data.preprocessing"


def create_pipeline(**kwargs) -> Pipeline:
    """Parse, map to the model grid, clean, label, build tensors, report and plot."""
    return pipeline(
        [
            node(
                parse_event_labels,
                inputs=["aerosol_labels_raw", "params:aerosol_data.labels_file"],
                outputs="aerosol_labels_parsed",
                name="parse_event_labels",
            ),
            node(
                parse_dmps_exports,
                inputs=["aerosol_dmps_raw", "params:aerosol_data.preprocessing.step_minutes"],
                outputs=["aerosol_dmps_parsed", "aerosol_dmps_metadata"],
                name="parse_dmps_exports",
            ),
            node(
                map_to_model_grid,
                inputs=["aerosol_dmps_parsed", PREPROCESSING],
                outputs="aerosol_dmps_on_grid",
                name="map_to_model_grid",
            ),
            node(
                clean_dmps,
                inputs=["aerosol_dmps_on_grid", PREPROCESSING],
                outputs=["aerosol_dmps_clean", "aerosol_day_quality"],
                name="clean_dmps",
            ),
            node(
                build_labels_table,
                inputs=["aerosol_labels_parsed", "aerosol_day_quality"],
                outputs="aerosol_labels",
                name="build_labels_table",
            ),
            node(
                build_model_input,
                inputs=["aerosol_dmps_clean", "aerosol_labels", PREPROCESSING],
                outputs="aerosol_model_input",
                name="build_model_input",
            ),
            node(
                build_data_report,
                inputs=["aerosol_labels_parsed", "aerosol_day_quality", "aerosol_labels"],
                outputs={
                    "summary": "aerosol_data_report",
                    "monthly": "aerosol_data_report_monthly",
                    "excluded": "aerosol_excluded_days",
                },
                name="build_data_report",
            ),
            node(
                plot_example_days,
                inputs=["aerosol_dmps_clean", "aerosol_labels", PREPROCESSING],
                outputs="aerosol_example_days_plot",
                name="plot_example_days",
            ),
        ]
    )
