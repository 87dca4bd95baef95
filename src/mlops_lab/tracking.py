"""One MLflow run per problem, whatever command started it.

The project trains four problems in one Kedro project. ``conf/<env>/tracking.yml`` names,
for each problem, its MLflow experiment and the pipelines that belong to it::

    problems:
      battery:
        experiment: Battery-Cycles-Forecast
        pipelines: [battery_forecasting, battery_batch_scoring]

:class:`ProblemRuns` (driven by :class:`mlops_lab.hooks.ProblemTrackingHook`) makes every
node of a problem's pipelines run inside that problem's run: a plain ``kedro run`` opens one
run per problem in its own experiment, ``kedro run -p battery_forecasting`` opens one, and
nodes of untracked pipelines (data, simulation) run with no active run. The catalog's
MLflow datasets (kedro-mlflow's metrics and artifacts, :mod:`mlops_lab.registry`) log to the
active run, so a run holds its problem's parameters, metrics, figures and model only.

Inside an Azure ML step job the service creates the run and exports ``MLFLOW_RUN_ID``
(and the job's experiment): every tracked node of the step then logs to that run, and no
experiment is switched (MLflow refuses a run of another experiment than the active one).

Each run records the data it was trained on: every dataset a problem's nodes read that no
node of the problem produced is logged as an MLflow dataset input, with the Kedro version
it was loaded at (versioned datasets) or a digest of its content.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import logging
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import mlflow
import numpy as np
import pandas as pd
from kedro.io import DatasetError
from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node
from kedro_mlflow.io.metrics import MlflowMetricsHistoryDataset
from mlflow.entities import Metric, RunStatus
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import MAX_PARAM_VAL_LENGTH

from mlops_lab.registry import RegisteredModel

logger = logging.getLogger(__name__)

RUN_ID_VARIABLE = "MLFLOW_RUN_ID"


@dataclass(frozen=True)
class Problem:
    """A problem of the project: its experiment and the pipelines that belong to it."""

    name: str
    experiment: str
    pipelines: tuple[str, ...]


def parse_problems(config: Mapping[str, Any]) -> dict[str, Problem]:
    """The ``problems`` section of ``tracking.yml`` as :class:`Problem` objects.

    Raises:
        ValueError: naming the problem and the key that is missing or of the wrong type.
    """
    problems = config.get("problems")
    if not isinstance(problems, Mapping) or not problems:
        raise ValueError("tracking.yml: expected a non-empty mapping 'problems'.")
    parsed: dict[str, Problem] = {}
    owner: dict[str, str] = {}
    for name, spec in problems.items():
        if not isinstance(spec, Mapping) or not isinstance(spec.get("experiment"), str):
            raise ValueError(f"tracking.yml: problems.{name}.experiment must be a string.")
        pipelines = spec.get("pipelines")
        if not isinstance(pipelines, list) or not all(isinstance(p, str) for p in pipelines):
            raise ValueError(f"tracking.yml: problems.{name}.pipelines must be a list of names.")
        for pipeline_name in pipelines:
            if pipeline_name in owner:
                raise ValueError(
                    f"tracking.yml: pipeline '{pipeline_name}' is listed under both "
                    f"'{owner[pipeline_name]}' and '{name}'."
                )
            owner[pipeline_name] = name
        parsed[name] = Problem(str(name), spec["experiment"], tuple(pipelines))
    return parsed


def experiment_for(problems: Mapping[str, Problem], pipeline_names: Iterable[str]) -> str | None:
    """The experiment of the one problem the pipelines belong to (None: none or several).

    ``kedro azureml submit -p battery_forecasting`` sends the pipeline job to
    ``Battery-Cycles-Forecast``; a job spanning several problems stays in the
    experiment of ``azureml.yml``.
    """
    owners = {
        problem.name
        for problem in problems.values()
        for name in pipeline_names
        if name in problem.pipelines
    }
    untracked = [
        name for name in pipeline_names if not any(name in p.pipelines for p in problems.values())
    ]
    if len(owners) != 1 or untracked:
        return None
    return problems[owners.pop()].experiment


def problem_pipelines(problems: Mapping[str, Problem]) -> dict[str, Pipeline]:
    """The pipelines the problems list, built from their modules.

    Kedro loads only the pipelines a command requested (``kedro run -p NAME``), but a
    node's problem is known only from the whole pipelines of every problem.
    """
    from kedro.framework.project import PACKAGE_NAME

    built: dict[str, Pipeline] = {}
    for problem in problems.values():
        for name in problem.pipelines:
            try:
                module = importlib.import_module(f"{PACKAGE_NAME}.pipelines.{name}")
            except ModuleNotFoundError:
                raise ValueError(
                    f"tracking.yml: problems.{problem.name} names pipeline '{name}', "
                    f"which is not a folder of {PACKAGE_NAME}.pipelines."
                ) from None
            built[name] = module.create_pipeline()
    return built


def problem_of_nodes(
    problems: Mapping[str, Problem], pipelines: Mapping[str, Pipeline]
) -> dict[str, str]:
    """Map each node name of a tracked pipeline to the name of its problem."""
    mapping: dict[str, str] = {}
    for problem in problems.values():
        for pipeline_name in problem.pipelines:
            if pipeline_name not in pipelines:
                raise ValueError(
                    f"tracking.yml: problems.{problem.name} names pipeline "
                    f"'{pipeline_name}', which is not registered."
                )
            for node in pipelines[pipeline_name].nodes:
                mapping[node.name] = problem.name
    return mapping


def flatten_params(values: Mapping[str, Any], prefix: str = "", sep: str = ".") -> dict[str, Any]:
    """Nested parameters as ``a.b.c`` keys (lists are kept as one value)."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{sep}{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten_params(value, name, sep))
        else:
            flat[name] = value
    return flat


def content_digest(data: Any) -> str | None:
    """A short digest of loaded data (DataFrames, arrays, JSON-like values), else None."""
    digest = hashlib.sha256()
    if isinstance(data, pd.DataFrame | pd.Series):
        digest.update(pd.util.hash_pandas_object(data, index=True).to_numpy().tobytes())
        labels = data.columns if isinstance(data, pd.DataFrame) else [data.name]
        digest.update(repr(list(labels)).encode())
    elif isinstance(data, np.ndarray):
        digest.update(np.ascontiguousarray(data).tobytes())
        digest.update(repr((data.shape, str(data.dtype))).encode())
    elif isinstance(data, dict | list | str | int | float | bool):
        try:
            digest.update(json.dumps(data, sort_keys=True, default=str).encode())
        except (TypeError, ValueError):
            return None
    else:
        return None
    return digest.hexdigest()[:16]


def dataset_version(dataset: Any) -> str | None:
    """The Kedro version a versioned dataset loads (None for unversioned datasets)."""
    resolve = getattr(dataset, "resolve_load_version", None)
    if resolve is None or getattr(dataset, "_version", None) is None:
        return None
    try:
        return resolve()
    except Exception:  # a versioned dataset with no version saved yet
        return None


def dataset_location(dataset: Any) -> str | None:
    """Where a dataset reads from: its file (for versioned ones, the loaded version)."""
    for attribute in ("_get_load_path", "_filepath", "_path"):
        value = getattr(dataset, attribute, None)
        if callable(value):
            try:
                value = value()
            except Exception:
                continue
        if value:
            protocol = getattr(dataset, "_protocol", "file")
            text = str(value)
            return text if "://" in text or protocol in (None, "file") else f"{protocol}://{text}"
    return None


@dataclass
class ProblemRuns:
    """Which run is active for which node, during one Kedro pipeline run.

    Args:
        problems: The project's problems (see :func:`parse_problems`).
        node_problems: Node name -> problem name, for every tracked node.
        inputs: Problem name -> the datasets its nodes read from outside the problem.
        run_names: Problem name -> the name given to its run.
        external_run_id: The run an orchestrator created (``MLFLOW_RUN_ID``), if any.
        tags: Tags set on every run (Kedro session, environment, command).
        artifact_location: Root of the artifact stores of experiments this creates
            (None: MLflow's default, relative to the working directory).
    """

    problems: Mapping[str, Problem]
    node_problems: Mapping[str, str]
    inputs: Mapping[str, frozenset[str]]
    run_names: Mapping[str, str]
    external_run_id: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    artifact_location: str | None = None
    run_ids: dict[str, str] = field(default_factory=dict)
    logged_inputs: set[tuple[str, str]] = field(default_factory=set)
    logged_params: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def plan(
        cls,
        problems: Mapping[str, Problem],
        registered: Mapping[str, Pipeline],
        pipeline: Pipeline,
        tags: Mapping[str, str] | None = None,
        environ: Mapping[str, str] = os.environ,
        artifact_location: str | None = None,
    ) -> ProblemRuns:
        """Plan the runs for ``pipeline`` (the nodes actually run) of a Kedro session."""
        owners = problem_of_nodes(problems, registered)
        node_problems = {n.name: owners[n.name] for n in pipeline.nodes if n.name in owners}
        inputs: dict[str, frozenset[str]] = {}
        run_names: dict[str, str] = {}
        for problem_name in set(node_problems.values()):
            nodes = [n for n in pipeline.nodes if node_problems.get(n.name) == problem_name]
            free = Pipeline(nodes).inputs()
            inputs[problem_name] = frozenset(
                name for name in free if not name.startswith("params:") and name != "parameters"
            )
            ran = {n.name for n in nodes}
            whole = [
                p
                for p in problems[problem_name].pipelines
                if {n.name for n in registered[p].nodes} & ran
            ]
            run_names[problem_name] = "+".join(whole)
        return cls(
            problems=problems,
            node_problems=node_problems,
            inputs=inputs,
            run_names=run_names,
            external_run_id=environ.get(RUN_ID_VARIABLE) or None,
            tags=dict(tags or {}),
            artifact_location=artifact_location,
        )

    def problem(self, node: Node) -> str | None:
        return self.node_problems.get(node.name)

    def tracked_outputs(self, pipeline: Pipeline) -> set[str]:
        """Datasets written by tracked nodes (their MLflow datasets may log)."""
        return {
            output
            for node in pipeline.nodes
            if self.problem(node) is not None
            for output in node.outputs
        }

    # ---------------------------------------------------------------- run switching
    def activate(self, node: Node) -> None:
        """Make the node's problem run the active MLflow run (none for untracked nodes)."""
        problem = self.problem(node)
        active = mlflow.active_run()
        wanted = self._run_id(problem) if problem else None
        if active is not None and active.info.run_id == wanted:
            return
        if active is not None and active.info.run_id in self.run_ids.values():
            mlflow.end_run()
        if problem is None:
            return
        if wanted is None:
            self._start(problem)
        else:
            mlflow.start_run(run_id=wanted)

    def _run_id(self, problem: str) -> str | None:
        if self.external_run_id is not None:
            return self.run_ids.setdefault(problem, self.external_run_id)
        return self.run_ids.get(problem)

    def _start(self, problem_name: str) -> None:
        problem = self.problems[problem_name]
        experiment = mlflow.get_experiment_by_name(problem.experiment)
        experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else mlflow.create_experiment(
                problem.experiment,
                artifact_location=(
                    f"{self.artifact_location.rstrip('/')}/{problem.experiment}"
                    if self.artifact_location
                    else None
                ),
            )
        )
        run = mlflow.start_run(
            experiment_id=experiment_id,
            run_name=self.run_names.get(problem_name) or problem_name,
            tags={**self.tags, "mlops_lab.problem": problem_name},
        )
        self.run_ids[problem_name] = run.info.run_id
        logger.info(
            "MLflow run '%s' (%s) in experiment '%s'",
            run.info.run_name,
            run.info.run_id,
            problem.experiment,
        )

    def finish(self, failed_node: Node | None = None) -> None:
        """End the active run: FAILED when ``failed_node`` belongs to it, else FINISHED."""
        active = mlflow.active_run()
        if active is None or active.info.run_id not in self.run_ids.values():
            return
        failed = failed_node is not None and self._run_id(self.problem(failed_node) or "") == (
            active.info.run_id
        )
        mlflow.end_run(RunStatus.to_string(RunStatus.FAILED if failed else RunStatus.FINISHED))

    # ---------------------------------------------------------------- what is logged
    def log_params(self, node: Node, inputs: Mapping[str, Any]) -> None:
        """Log the node's ``params:`` inputs (flattened) to its problem's run."""
        problem = self.problem(node)
        if problem is None:
            return
        values: dict[str, Any] = {}
        for name, value in inputs.items():
            if name.startswith("params:"):
                key = name.removeprefix("params:")
                values.update(
                    flatten_params(value, key) if isinstance(value, Mapping) else {key: value}
                )
        fresh = {
            key: (str(value)[: MAX_PARAM_VAL_LENGTH - 3] + "...")
            if len(str(value)) > MAX_PARAM_VAL_LENGTH
            else value
            for key, value in values.items()
            if (problem, key) not in self.logged_params
        }
        if fresh:
            mlflow.log_params(fresh)
            self.logged_params.update((problem, key) for key in fresh)

    def log_input(self, node: Node, dataset_name: str, dataset: Any, data: Any) -> None:
        """Record a dataset read from outside the problem as an MLflow dataset input."""
        problem = self.problem(node)
        if problem is None or dataset_name not in self.inputs.get(problem, ()):
            return
        if (problem, dataset_name) in self.logged_inputs:
            return
        self.logged_inputs.add((problem, dataset_name))
        version = dataset_version(dataset)
        if isinstance(data, RegisteredModel):  # a registered model read by alias or version
            digest = f"{data.name}/v{data.version}"
        elif data is None:
            digest = "absent"
        else:
            digest = version or content_digest(data) or "unknown"
        mlflow.log_input(
            mlflow_dataset(dataset_name, dataset_location(dataset), digest),
            context="training" if _is_training(node) else "inference",
            tags={"kedro.version": version or "unversioned", "kedro.dataset": dataset_name},
        )


def _is_training(node: Node) -> bool:
    return "inference" not in node.tags


def mlflow_dataset(name: str, location: str | None, digest: str) -> Any:
    """An MLflow dataset entity for a Kedro dataset: its name, location and digest."""
    from mlflow.data.code_dataset_source import CodeDatasetSource
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    source = None
    if location:
        try:
            source = resolve_dataset_source(location)
        except Exception:
            source = None
    if source is None:
        source = CodeDatasetSource(tags={"kedro.dataset": name, "location": location or ""})
    return MetaDataset(source=source, name=name, digest=digest[:36])


class BatchedMetricsHistoryDataset(MlflowMetricsHistoryDataset):
    """kedro-mlflow's metrics history dataset, logged in batches instead of value by value.

    The parent logs each value with its own ``log_metric`` call, one SQLite transaction
    each: the aerosol CNN's 3 members x ~50 epochs x 4 metrics took about 6 s to save. Here
    a dict is logged with ``MlflowClient.log_batch`` in chunks of
    :data:`METRICS_PER_BATCH` (MLflow's limit per call), to the active run (or
    ``run_id``). The catalog entries and what they log (names, values, steps) are the same;
    loading and ``exists`` are the parent's. Without a run (nothing to batch into), the
    parent's behaviour is kept.
    """

    METRICS_PER_BATCH = 1000

    def _save(self, data: Mapping[str, Any]) -> None:
        try:
            run_id = self.run_id
        except DatasetError:
            run_id = None
        if run_id is None or not self._logging_activated:
            super()._save(data)
            return
        timestamp = int(time.time() * 1000)
        metrics = [
            Metric(key=key, value=float(value), timestamp=timestamp, step=int(step))
            for key, value, step in chain.from_iterable(
                self._build_args_list_from_metric_item(key, item) for key, item in data.items()
            )
        ]
        client = MlflowClient()
        for start in range(0, len(metrics), self.METRICS_PER_BATCH):
            client.log_batch(run_id, metrics=metrics[start : start + self.METRICS_PER_BATCH])


def metric_history(values: Iterable[float]) -> list[dict[str, float | int]]:
    """Per-epoch (or per-step) values as kedro-mlflow metric history, steps from 1."""
    return [{"step": step, "value": float(value)} for step, value in enumerate(values, start=1)]


def metric_key(problem: str, *parts: str | int) -> str:
    """The project's one metric name rule: ``<problem>.<stage>.<model>.<metric>``.

    ``metric_key("aerosol", "heldout", "cnn", "accuracy")`` is ``aerosol.heldout.cnn.accuracy``.
    Stages are ``epoch`` (steps are epochs counted from 1, see :func:`metric_history`),
    ``validation``, ``heldout`` / ``test`` and ``promotion``. The problem prefix keeps a
    figure's owner readable wherever it is shown (runs compared across experiments, an
    Azure ML job holding several problems' steps).
    """
    text = ".".join(str(part).strip(".") for part in (problem, *parts) if str(part))
    return text.replace(" ", "_").lower()
