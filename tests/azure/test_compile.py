"""Every registered pipeline compiles for Azure ML with every node wired as a step, and
Azure's own SDK loads and validates what is compiled."""

from __future__ import annotations

import re

import pytest
import yaml

from mlops_lab.azure.compile_all import compile_pipelines

pytestmark = pytest.mark.slow


def _sanitize(name: str) -> str:  # as kedro-azureml names step inputs and outputs
    return re.sub(r"[^a-z0-9_]", "_", name.lower())


def _step_name(node) -> str:  # as kedro-azureml names a node's step
    return node.name.lower().replace(".", "__")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory):
    from tests.conftest import copy_project

    return copy_project(tmp_path_factory.mktemp("compile") / "project")


@pytest.fixture(scope="module")
def compiled_paths(project):
    """What `make compile` writes: every pipeline, compiled with `--env azureml`."""
    return compile_pipelines(project, "azureml", project / "azureml_compiled")


@pytest.fixture(scope="module")
def compiled(compiled_paths):
    return {name: yaml.safe_load(path.read_text()) for name, path in compiled_paths.items()}


@pytest.fixture(scope="module")
def pipelines(registered_pipelines):
    return registered_pipelines


def test_every_non_empty_pipeline_compiles(compiled, pipelines):
    registered = {name for name, pipe in pipelines.items() if pipe.nodes}
    assert set(compiled) == registered
    assert len(registered) >= 8


# conf/azureml/catalog_assets.yml: registered datasets read as data assets.
ASSET_INPUTS = {
    "daily_battery_time_series": "daily-battery-time-series",
    "aerosol_model_input": "aerosol-model-input",
    "component_texts_train": "component-texts-train",
    "component_texts_validation": "component-texts-validation",
    "component_texts_test": "component-texts-test",
    "maintenance_model_input_train": "maintenance-train",
    "maintenance_model_input_test": "maintenance-test",
}


def test_a_step_writing_a_registered_dataset_registers_an_asset_version(compiled):
    registered = {}
    for job in compiled.values():
        for step in job["jobs"].values():
            for output, value in (step.get("outputs") or {}).items():
                if isinstance(value, dict) and "name" in value:
                    registered[output] = value["name"]
    assert registered == ASSET_INPUTS


def test_every_node_is_a_step_with_its_inputs_and_outputs_wired(compiled, pipelines):
    for name, job in compiled.items():
        pipeline = pipelines[name]
        producers = {out: node for node in pipeline.nodes for out in node.outputs}
        steps = job["jobs"]
        assert set(steps) == {_step_name(node) for node in pipeline.nodes}
        for node in pipeline.nodes:
            step = steps[_step_name(node)]
            command = " ".join(step["component"]["command"].split())
            assert f"--node={node.name}" in command and f"--pipeline={name}" in command
            assert " -e azureml " in command
            for output in node.outputs:
                assert _sanitize(output) in step["component"]["outputs"], (name, node, output)
            for dataset in node.inputs:
                value = step["inputs"][_sanitize(dataset)]
                if dataset in producers:
                    producer = _step_name(producers[dataset])
                    expected = f"${{{{parent.jobs.{producer}.outputs.{_sanitize(dataset)}}}}}"
                    assert value == {"path": expected}, (name, node.name, dataset, value)
                    assert f"--az-input={dataset} " in command
                elif dataset in ASSET_INPUTS:  # a registered dataset: a data asset
                    expected = {
                        "type": "uri_folder",
                        "path": f"azureml:{ASSET_INPUTS[dataset]}@latest",
                    }
                    assert value == expected, (name, node.name, dataset, value)
                    assert f"--az-input={dataset} " in command
                else:  # parameters and other pipeline inputs are read from the catalog
                    assert value == dataset


def test_gpu_tagged_nodes_run_on_the_gpu_cluster_in_the_gpu_environment(compiled, pipelines):
    seen = set()
    for name, job in compiled.items():
        for node in pipelines[name].nodes:
            step = job["jobs"][_step_name(node)]
            gpu = "gpu" in node.tags
            expected = "azureml:gpu-cluster" if gpu else "azureml:cpu-cluster"
            environment = "azureml:mlops-lab-gpu@latest" if gpu else "azureml:mlops-lab-cpu@latest"
            assert step["compute"] == expected, (name, node.name)
            assert step["component"]["environment"] == environment, (name, node.name)
            assert step.get("environment", environment) == environment, (name, node.name)
            assert "distribution" not in step and "resources" not in step  # gpu_nodes: 1
            seen.add((step["compute"], environment))
    assert len(seen) == 2, "both the CPU and the GPU cluster are used"


# Printed by azure-ai-ml's own schema classes whenever a job is loaded (not by our YAML):
# marshmallow 3's deprecation of `context`, and notes that some schema classes of the
# SDK are experimental. Any other warning is a finding.
SDK_INTERNAL_WARNINGS = ("The `context` parameter is deprecated", "This is an experimental class")


def test_azure_sdk_loads_and_validates_every_compiled_job(compiled_paths):
    import warnings

    from azure.ai.ml import load_job

    for name, path in compiled_paths.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            job = load_job(path)
            result = job._validate()
        assert result.passed, (name, result.error_messages)
        assert job.type == "pipeline" and job.jobs, name
        findings = [
            str(w.message) for w in caught if not str(w.message).startswith(SDK_INTERNAL_WARNINGS)
        ]
        assert not findings, (name, findings)


def _compile_with(project, runtime_params: dict, pipeline: str = "particle_classification"):
    from kedro.framework.startup import bootstrap_project
    from kedro_azureml.manager import KedroContextManager

    from mlops_lab.azure.generator import bound_to

    bootstrap_project(project)
    with KedroContextManager(
        env="azureml", project_path=str(project), runtime_params=runtime_params
    ) as manager:
        generator = bound_to(project)(
            pipeline,
            "azureml",
            manager.plugin_config,
            manager.context.params,
            manager.context.catalog,
            storage_account_key="",
        )
        return yaml.safe_load(str(generator.generate()))


def test_gpu_nodes_above_one_compile_a_data_parallel_tensorflow_step(project, compiled_paths):
    job = _compile_with(project, {"gpu_nodes": 3})
    step = job["jobs"]["train_cnn"]
    assert step["distribution"] == {
        "type": "tensorflow",
        "parameter_server_count": 0,
        "worker_count": 3,
    }
    assert step["resources"] == {"instance_count": 3}
    assert step["compute"] == "azureml:gpu-cluster"
    assert "distribution" not in job["jobs"]["train_baselines"]  # CPU steps stay single-node


@pytest.mark.parametrize("value", [0, "four", 2.5])
def test_an_invalid_gpu_node_count_is_refused_naming_the_parameter(project, compiled_paths, value):
    from mlops_lab.azure.generator import ComputeSettingsError

    with pytest.raises(ComputeSettingsError, match=r"parameter 'gpu_nodes'.*whole number"):
        _compile_with(project, {"gpu_nodes": value})
