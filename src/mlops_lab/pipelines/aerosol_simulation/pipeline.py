"""Pipeline ``aerosol_simulation``: labels (01_raw) -> simulated DMPS exports (01_raw)."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import simulate_dmps_exports


def create_pipeline(**kwargs) -> Pipeline:
    """One node writing ``aerosol_dmps_raw`` (one CSV per year)."""
    return pipeline(
        [
            node(
                simulate_dmps_exports,
                inputs=[
                    "aerosol_labels_raw",
                    "params:aerosol_simulation.labels_file",
                    "params:aerosol_simulation.years",
                    "params:aerosol_simulation.months",
                    "params:aerosol_simulation.instrument_grids",
                    "params:aerosol_simulation.defect_rates",
                    "params:aerosol_simulation.seed",
                ],
                outputs="aerosol_dmps_raw",
                name="simulate_dmps_exports",
            )
        ]
    )
