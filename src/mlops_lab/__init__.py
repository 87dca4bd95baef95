"""mlops_lab: a reference Kedro MLOps project (aerosol NPF days, battery cycles,
component compliance, responsible AI), run locally and on Azure ML."""

__version__ = "0.1.0"
