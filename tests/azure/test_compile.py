"""Every registered pipeline compiles for Azure ML with every node wired as a step."""

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
def compiled(tmp_path_factory: pytest.TempPathFactory):
    from tests.conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("compile") / "project")
    output = project / "azureml_compiled"
    written = compile_pipelines(project, "azureml", output)
    return {name: yaml.safe_load(path.read_text()) for name, path in written.items()}


@pytest.fixture(scope="module")
def pipelines(registered_pipelines):
    return registered_pipelines


def test_every_non_empty_pipeline_compiles(compiled, pipelines):
    registered = {name for name, pipe in pipelines.items() if pipe.nodes}
    assert set(compiled) == registered
    assert len(registered) >= 8


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
                else:  # parameters and pipeline inputs are read from the catalog
                    assert value == dataset


def test_gpu_tagged_nodes_run_on_the_gpu_cluster(compiled, pipelines):
    seen = set()
    for name, job in compiled.items():
        for node in pipelines[name].nodes:
            compute = job["jobs"][_step_name(node)]["compute"]
            expected = "azureml:gpu-cluster" if "gpu" in node.tags else "azureml:cpu-cluster"
            assert compute == expected, (name, node.name)
            seen.add(compute)
    assert "azureml:cpu-cluster" in seen
