"""Each training pipeline, compiled for Azure ML and run step by step as the service runs it.

The emulator gives the pipeline job a parent run and every step job a child run, and
exports ``MLFLOW_RUN_ID`` and the job's experiment into each step's process, as Azure ML
does. Each training pipeline must then track into those runs and register its model
without error, and the registered version must carry the held-out figures that justified
it, although the registering step's own run holds no metrics.

These run a real ``kedro azureml execute`` process per step (minutes in all): they carry
the ``integration`` marker and run in CI after the main suite (``make test-integration``).
"""

from __future__ import annotations

import math
from pathlib import Path

import mlflow
import pytest
from kedro.framework.session import KedroSession

from mlops_lab.azure.compile_all import compile_pipelines
from mlops_lab.azure.emulate import JobTracking, emulate_pipeline_job

pytestmark = [pytest.mark.slow, pytest.mark.integration]

TRAINING = {
    # training pipeline: (upstream pipelines run locally first, registered model)
    "particle_classification": (
        ["aerosol_simulation", "aerosol_data"],
        "aerosol-event-classifier",
    ),
    "battery_forecasting": (["battery_simulation", "battery_data"], "battery-cycles"),
    "component_compliance": (
        ["component_simulation", "component_data"],
        "component-compliance",
    ),
}


@pytest.mark.parametrize("training", sorted(TRAINING))
def test_a_compiled_training_pipeline_tracks_and_registers_inside_step_runs(
    kedro_project: Path, tmp_path: Path, training: str
):
    upstream, model_name = TRAINING[training]
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.run(pipeline_names=upstream)

    compiled = compile_pipelines(kedro_project, "test", tmp_path / "yaml", [training])[training]
    uri = f"sqlite:///{kedro_project / 'mlruns.db'}"
    tracking = JobTracking(uri, f"azure-job-{training}")
    results = emulate_pipeline_job(compiled, kedro_project, tmp_path / "aml", tracking=tracking)

    client = mlflow.MlflowClient(uri, uri)
    steps = {result.name: client.get_run(result.run_id) for result in results}
    assert all(run.info.status == "FINISHED" for run in steps.values())
    assert all(
        run.data.tags["mlflow.parentRunId"] == tracking.parent_run_id for run in steps.values()
    )
    assert client.get_run(tracking.parent_run_id).info.status == "FINISHED"
    # Every step logged into the service's run: nothing went to the problem's experiment.
    assert sum(len(run.data.metrics) for run in steps.values()) > 0
    experiments = {e.name for e in client.search_experiments()}
    assert experiments <= {"Default", f"azure-job-{training}"}

    # One version per registered candidate (component_compliance registers its runner-up
    # too), all from step runs; the one registered last is @challenger and the gate's.
    versions = client.search_model_versions(f"name='{model_name}'")
    assert versions and {v.run_id for v in versions} <= {run.info.run_id for run in steps.values()}
    version = max(versions, key=lambda v: int(v.version))
    assert str(client.get_model_version_by_alias(model_name, "champion").version) == str(
        version.version
    )
    tags = version.tags
    assert tags["promotion.decision"] == "promoted"
    assert math.isfinite(float(tags["promotion.challenger_score"]))
    assert tags["promotion.champion_version"] == "none"  # the first version of the model
    held_out = {key: float(value) for key, value in tags.items() if key.startswith("metric.")}
    assert held_out and all(math.isfinite(value) for value in held_out.values()), tags
