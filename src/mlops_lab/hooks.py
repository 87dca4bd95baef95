"""Project hooks."""

from __future__ import annotations

import logging
import os
from typing import Any

from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog

logger = logging.getLogger(__name__)


class MlflowExperimentPerPipelineHook:
    """Send each training pipeline's MLflow run to its problem's experiment.

    kedro-mlflow reads one experiment name from ``mlflow.yml``. The project keeps one
    experiment per problem (``aerosol-training``, ``Battery-Cycles-Forecast``, ...): the
    mapping ``mlflow_experiments`` in ``conf/base/parameters.yml`` names the experiment
    of each pipeline. This hook runs before kedro-mlflow starts its run (``tryfirst``)
    and switches the experiment when every requested pipeline whose tracking is enabled
    maps to the same one. A plain ``kedro run`` (``__default__``, all problems in one
    run) stays in the experiment of ``mlflow.yml``.
    """

    def __init__(self) -> None:
        self._context: KedroContext | None = None

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        self._context = context

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        context = self._context
        mlflow_config = getattr(context, "mlflow", None) if context else None
        if mlflow_config is None:
            return
        mapping: dict[str, str] = context.params.get("mlflow_experiments") or {}
        names = run_params.get("pipeline_names") or [run_params.get("pipeline_name")]
        names = [name or "__default__" for name in names]
        # In `kedro run --pipelines battery_data,battery_forecasting` only the tracked
        # pipelines decide where the run goes.
        untracked = set(mlflow_config.tracking.disable_tracking.pipelines)
        tracked = [name for name in names if name not in untracked] or names
        experiments = {mapping.get(name) for name in tracked}
        if len(experiments) != 1 or None in experiments:
            return
        (experiment,) = experiments
        if mlflow_config.tracking.experiment.name != experiment:
            logger.info("MLflow experiment for %s: %s", "+".join(names), experiment)
            mlflow_config.tracking.experiment.name = experiment
            mlflow_config._set_experiment()


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
