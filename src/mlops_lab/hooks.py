"""Project hooks."""

from __future__ import annotations

import logging
import os
from typing import Any

import mlflow
from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node

from mlops_lab.distribution import is_chief
from mlops_lab.tracking import ProblemRuns, dataset_location, parse_problems, problem_pipelines
from mlops_lab.validation import InputValidationError

logger = logging.getLogger(__name__)


class ProblemTrackingHook:
    """One MLflow run per problem (see :mod:`mlops_lab.tracking`).

    Replaces kedro-mlflow's hook (disabled in ``settings.py``), which opens one run per
    Kedro session: a plain ``kedro run`` would put the metrics of every problem into one
    run. This hook reads ``mlflow.yml`` through kedro-mlflow's own configuration model
    (tracking and registry URIs, parameter logging) and ``tracking.yml`` (the problems),
    then makes each tracked node run inside its problem's run. kedro-mlflow's datasets
    and ``kedro mlflow ui`` work as before.
    """

    def __init__(self) -> None:
        self._context: KedroContext | None = None
        self._catalog: DataCatalog | None = None
        self._runs: ProblemRuns | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        from kedro_mlflow.config.kedro_mlflow_config import KedroMlflowConfig

        self._context = context
        try:
            conf = context.config_loader["mlflow"]
        except MissingConfigException:
            conf = {}
        config = KedroMlflowConfig.model_validate({**conf})
        tracking_uri = config.server.mlflow_tracking_uri or os.environ.get(
            "MLFLOW_TRACKING_URI", f"sqlite:///{context.project_path / 'mlruns.db'}"
        )
        mlflow.set_tracking_uri(tracking_uri)
        mlflow.set_registry_uri(config.server.mlflow_registry_uri or tracking_uri)
        # For interactive use (`%load_ext kedro.ipython`), as kedro-mlflow does.
        context.__setattr__("mlflow", config)

    @hook_impl
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        self._catalog = catalog

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline) -> None:

        context = self._context
        try:
            problems = parse_problems(context.config_loader["tracking"]) if context else {}
        except MissingConfigException:
            problems = {}
        tags = {
            "kedro.session_id": str(run_params.get("session_id") or ""),
            "kedro.env": str(run_params.get("env") or ""),
            "kedro.pipelines": "+".join(run_params.get("pipeline_names") or ["__default__"]),
        }
        # Next to a project SQLite store, artifacts go to <project>/mlruns, wherever the
        # command started (MLflow's default is relative to the working directory).
        local = mlflow.get_tracking_uri().startswith("sqlite:") and context is not None
        self._runs = ProblemRuns.plan(
            problems,
            problem_pipelines(problems),
            pipeline,
            tags=tags,
            artifact_location=(context.project_path / "mlruns").as_uri() if local else None,
        )
        if self._runs.external_run_id:
            logger.info(
                "MLflow run %s set by the orchestrator: every tracked node logs to it",
                self._runs.external_run_id,
            )
        if self._catalog is not None:
            self._switch_dataset_logging(pipeline)

    def _switch_dataset_logging(self, pipeline: Pipeline) -> None:
        """kedro-mlflow datasets written by untracked nodes save files but do not log."""
        tracked = self._runs.tracked_outputs(pipeline)
        for name in pipeline.datasets():
            if name not in self._catalog:
                continue
            dataset = self._catalog.get(name)
            if type(dataset).__name__.startswith("Mlflow"):
                dataset._logging_activated = name in tracked

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        if self._runs is not None:
            self._runs.activate(node)

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Node) -> None:
        if self._runs is None or self._catalog is None or dataset_name.startswith("params:"):
            return
        dataset = self._catalog.get(dataset_name) if dataset_name in self._catalog else None
        self._runs.log_input(node, dataset_name, dataset, data)

    @hook_impl
    def before_node_run(self, node: Node, inputs: dict[str, Any]) -> None:
        if self._runs is not None:
            self._runs.activate(node)
            self._runs.log_params(node, inputs)

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, node: Node) -> None:
        if self._runs is not None:
            self._runs.activate(node)

    @hook_impl
    def on_node_error(self, node: Node) -> None:
        if self._runs is not None:
            self._runs.finish(failed_node=node)

    @hook_impl
    def after_pipeline_run(self) -> None:
        if self._runs is not None:
            self._runs.finish()
            self._runs = None

    @hook_impl
    def on_pipeline_error(self) -> None:
        if self._runs is not None:
            self._runs.finish()
            self._runs = None


class InputErrorContextHook:
    """Name the dataset and its file in a node's input-validation error.

    Nodes validate what they are given and cannot know where it came from; the catalog
    does. When a node raises :class:`mlops_lab.validation.InputValidationError`, this hook
    appends the node and the catalog entries it read, with their files, to the message
    (e.g. ``dataset 'maintenance_raw' (data/01_raw/maintenance/car-maintenance-data.csv)``),
    so no parameter has to repeat a catalog path for the sake of an error message.
    """

    def __init__(self) -> None:
        self._catalog: DataCatalog | None = None

    @hook_impl
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        self._catalog = catalog

    @hook_impl
    def on_node_error(self, error: Exception, node: Node) -> None:
        if not isinstance(error, InputValidationError) or self._catalog is None:
            return
        read = []
        for name in node.inputs:
            if name.startswith("params:") or name == "parameters" or name not in self._catalog:
                continue
            location = dataset_location(self._catalog.get(name))
            read.append(f"dataset '{name}'" + (f" ({location})" if location else ""))
        if read and error.args:
            error.args = (
                f"{error.args[0]}\n(node '{node.name}' read {', '.join(read)})",
                *error.args[1:],
            )


class AzureStorageAccountHook:
    """Give adlfs the storage account named in ``globals.yml`` (``azure_storage_account``).

    Catalog paths under ``abfs://<container>/...`` carry no account; adlfs reads it from
    ``AZURE_STORAGE_ACCOUNT_NAME``. Setting it from configuration (unless the user already
    exported one) keeps the ``azureml`` environment a pure configuration change, on a
    laptop compiling pipelines and inside every Azure ML step alike.
    """

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        try:
            account = context.config_loader["globals"].get("azure_storage_account")
        except MissingConfigException:
            return
        if account:
            os.environ.setdefault("AZURE_STORAGE_ACCOUNT_NAME", str(account))


class MaterialiseDatasetFactoriesHook:
    """Resolve dataset-factory entries (``"battery_raw_{source}"``) when the catalog is made.

    In Kedro 1.x ``catalog.filter()`` lists only materialised datasets. kedro-azureml uses
    it to tell catalog datasets from Azure ones, so a factory-resolved dataset would be
    compiled as a non-existent Azure data asset (``azureml:<name>``), and on Azure the
    runner would swap it for a pickle. Resolving the names used by the registered
    pipelines up front makes factories behave like explicit entries everywhere.
    """

    @hook_impl
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        from kedro.framework.project import pipelines

        listed = set(catalog.filter())
        names = {name for pipe in pipelines.values() for name in pipe.datasets()}
        for name in sorted(names - listed):
            if not name.startswith("params:") and name != "parameters" and name in catalog:
                catalog.get(name)


class DistributedWorkerHook:
    """Only the chief of a multi-node training step writes its outputs.

    On Azure ML, a step compiled with ``num_nodes`` above 1 runs the same node on every
    node of the job, each a worker of one ``MultiWorkerMirroredStrategy`` (``TF_CONFIG``
    tells which). They fit the same model; if each saved it, every versioned output and
    every MLflow metric would be written once per node. On the other workers the node's
    outputs go to memory instead (kedro-azureml does the same for its pipeline data).
    """

    @hook_impl
    def before_node_run(self, node: Node, catalog: DataCatalog) -> None:
        if is_chief(os.environ.get("TF_CONFIG")):
            return
        logger.info("Not the chief worker: outputs of %s are not saved here", node.name)
        for name in node.outputs:
            catalog[name] = MemoryDataset()
