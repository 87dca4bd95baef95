"""``aerosol_simulation``: labels (01_raw) -> seeded SmartSMEAR-style DMPS exports (01_raw)."""

from kedro.pipeline import Node, Pipeline

from mlops_lab.pipelines.aerosol_simulation import nodes


def create_pipeline(**kwargs) -> Pipeline:
    """One node writing ``aerosol_dmps_raw`` (one CSV per year)."""
    return Pipeline(
        [
            Node(
                nodes.simulate_dmps_exports,
                inputs=[
                    "aerosol_labels_raw",
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
