"""Project hooks."""

from __future__ import annotations

import logging
from typing import Any

from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl

logger = logging.getLogger(__name__)


class MlflowExperimentPerPipelineHook:
    """Send each training pipeline's MLflow run to its problem's experiment.

    kedro-mlflow reads one experiment name from ``mlflow.yml``. The project keeps one
    experiment per problem (``aerosol-training``, ``Battery-Cycles-Forecast``, ...): the
    mapping ``mlflow_experiments`` in ``conf/base/parameters.yml`` names the experiment
    of each pipeline. This hook runs before kedro-mlflow starts its run (``tryfirst``)
    and switches the experiment when every requested pipeline maps to the same one.
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
        experiments = {mapping.get(name or "__default__") for name in names}
        if len(experiments) != 1 or None in experiments:
            return
        (experiment,) = experiments
        if mlflow_config.tracking.experiment.name != experiment:
            logger.info("MLflow experiment for %s: %s", "+".join(map(str, names)), experiment)
            mlflow_config.tracking.experiment.name = experiment
            mlflow_config._set_experiment()
