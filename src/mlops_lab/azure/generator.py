"""kedro-azureml's pipeline generator with an environment and a distribution per compute.

kedro-azureml sends a node to the compute cluster its tags name (``compute.gpu`` for nodes
tagged ``gpu``) but runs every step in one environment. A GPU step needs TensorFlow's CUDA
wheels on a CUDA image, and training that outgrows one GPU node needs a data-parallel
job. This generator reads two more keys of a compute entry in ``azureml.yml``:

.. code-block:: yaml

    compute:
      gpu:
        cluster_name: gpu-cluster
        environment_name: mlops-lab-gpu@latest   # the environment of these steps
        num_nodes: params:gpu_nodes   # a Kedro parameter (or a number); > 1: multi-node

The node count is a Kedro parameter, so ``--params '{"gpu_nodes": 4}'`` on
``kedro azureml submit`` changes it for one job. With ``num_nodes`` above 1 the step gets
``resources.instance_count`` and a TensorFlow ``distribution`` block (Azure ML then sets
``TF_CONFIG`` on each node, which :func:`mlops_lab.distribution.training_strategy` turns
into a multi-worker strategy).
Everything else is the plugin's own generator, so ``kedro azureml compile|submit`` and
:mod:`mlops_lab.azure.compile_all` compile the same YAML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azure.ai.ml import TensorFlowDistribution
from kedro.pipeline import Node, Pipeline
from kedro_azureml.generator import AzureMLPipelineGenerator

from mlops_lab.azure.preflight import read_config

EXTENSION_KEYS = ("environment_name", "num_nodes")


class ComputeSettingsError(ValueError):
    """A compute entry of ``azureml.yml`` has an invalid project extension."""


def compute_extensions(project_path: Path, env: str) -> dict[str, dict[str, Any]]:
    """The project keys of each ``azure.compute`` entry of ``env``'s ``azureml.yml``."""
    azureml = read_config(project_path, env, "azureml") or {}
    compute = (azureml.get("azure") or {}).get("compute") or {}
    extensions = {}
    for alias, entry in compute.items():
        keys = {key: entry[key] for key in EXTENSION_KEYS if key in (entry or {})}
        extensions[alias] = keys
    return extensions


def node_count(value: Any, params: dict[str, Any], alias: str) -> int:
    """``num_nodes`` of compute ``alias``: a number, or ``params:<dotted.name>``."""
    where = f"azureml.yml: azure.compute.{alias}.num_nodes"
    if isinstance(value, str) and value.startswith("params:"):
        name = value.removeprefix("params:")
        found: Any = params
        for part in name.split("."):
            if not isinstance(found, dict) or part not in found:
                raise ComputeSettingsError(f"{where} names parameter {name!r}, which is not set")
            found = found[part]
        where, value = f"parameter {name!r} ({where})", found
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ComputeSettingsError(f"{where} must be a whole number of nodes >= 1, got {value!r}")
    return value


class ProjectPipelineGenerator(AzureMLPipelineGenerator):
    """The plugin's generator, plus an environment and a node count per compute alias.

    ``project_path`` is the project whose ``conf/`` holds ``azureml.yml`` (the working
    directory by default, as for every ``kedro`` command).
    """

    project_path: Path | None = None

    def _compute_alias(self, node: Node) -> str:
        aliases = set(node.tags) & set(self.config.azure.compute or {})
        return aliases.pop() if aliases else "__default__"

    def _extensions(self) -> dict[str, dict[str, Any]]:
        if not hasattr(self, "_compute_extensions"):
            project = self.project_path or Path.cwd()
            self._compute_extensions = compute_extensions(project, self.kedro_environment)
        return self._compute_extensions

    def _construct_azure_command(self, pipeline: Pipeline, node: Node, kedro_azure_run_id: str):
        component = super()._construct_azure_command(pipeline, node, kedro_azure_run_id)
        keys = self._extensions().get(self._compute_alias(node), {})
        # An image given on the command line (--image) wins, as in the plugin.
        if keys.get("environment_name") and not self.docker_image:
            environment = self.aml_env or keys["environment_name"]
            # The step and its component name the same environment, so the YAML says one.
            component.environment = component.component.environment = environment
        alias = self._compute_alias(node)
        num_nodes = node_count(keys.get("num_nodes", 1), self.kedro_params, alias)
        if num_nodes > 1:
            component.distribution = TensorFlowDistribution(worker_count=num_nodes)
            component.resources = {"instance_count": num_nodes}
        return component


def bound_to(project_path: Path) -> type[ProjectPipelineGenerator]:
    """A generator class that reads ``azureml.yml`` of ``project_path``."""
    return type(
        "ProjectPipelineGenerator", (ProjectPipelineGenerator,), {"project_path": project_path}
    )
