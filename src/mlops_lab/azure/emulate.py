"""Run a compiled Azure ML pipeline-job YAML on this machine, step by step.

Azure itself cannot be reached from a laptop or CI, but everything up to the network call
can be exercised: this emulator reads the YAML written by ``kedro azureml compile`` (or
:mod:`mlops_lab.azure.compile_all`), orders the command steps by their
``${{parent.jobs.<step>.outputs.<name>}}`` bindings, gives every step output its own folder
(as Azure ML mounts ``uri_folder`` outputs), substitutes ``${{inputs.*}}`` /
``${{outputs.*}}`` in each step's command and runs that command for real - the same
``kedro azureml -e <env> execute --node=...`` an Azure ML compute node would run.

MLflow is set up the way the service sets it up: the pipeline job is a parent run in the
job's experiment, every step job gets a child run, and the step's process receives
``MLFLOW_TRACKING_URI``, ``MLFLOW_EXPERIMENT_ID``, ``MLFLOW_EXPERIMENT_NAME`` and
``MLFLOW_RUN_ID`` of that child run; a step that fails leaves its run FAILED.

    python -m mlops_lab.azure.emulate azureml_compiled/component_data.yaml --workdir /tmp/aml
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path

import yaml
from mlflow.tracking import MlflowClient

from mlops_lab.azure.datastore import upload_raw

logger = logging.getLogger(__name__)

PARENT_JOB_OUTPUT = re.compile(r"\$\{\{parent\.jobs\.([\w-]+)\.outputs\.([\w-]+)\}\}")
PARENT_OUTPUT = re.compile(r"\$\{\{parent\.outputs\.([\w-]+)\}\}")
# conf/azureml/globals.yml: data_root: ${env_or:MLOPS_LAB_DATA_ROOT,'abfs://...'}
DATA_ROOT_VARIABLE = "MLOPS_LAB_DATA_ROOT"
ASSETS_FOLDER = "_assets"  # the emulated workspace's data assets, beside the datastore
ASSET_REFERENCE = re.compile(r"azureml:(?P<name>[\w.-]+?)(?:@latest|:(?P<version>[\w.-]+))")
STEP_PLACEHOLDER = re.compile(r"\$\{\{(inputs|outputs)\.([\w-]+)\}\}")


class EmulationError(RuntimeError):
    """A compiled step could not be run, or failed."""


@dataclass
class Step:
    """One command job of the compiled pipeline."""

    name: str
    command: str
    inputs: dict[str, tuple[str, str] | None]
    outputs: list[str]
    compute: str
    environment_variables: dict[str, str] = field(default_factory=dict)
    # Inputs bound to a registered data asset (``azureml:<name>@latest`` or ``:<version>``)
    # and outputs registered as a new version of an asset (the output's ``name``).
    asset_inputs: dict[str, tuple[str, str]] = field(default_factory=dict)
    asset_outputs: dict[str, str] = field(default_factory=dict)

    @property
    def upstream(self) -> set[str]:
        return {binding[0] for binding in self.inputs.values() if binding}


class AssetStore:
    """The workspace's data assets, emulated: ``<root>/<name>/<version>/`` folders.

    Versions are whole numbers counted from 1, as Azure ML numbers the versions a job
    registers; ``latest`` is the highest.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def versions(self, name: str) -> list[str]:
        folder = self.root / name
        found = [p.name for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
        return sorted(found, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v))

    def resolve(self, name: str, version: str) -> Path:
        versions = self.versions(name)
        if not versions:
            raise EmulationError(
                f"data asset '{name}' has no version in the emulated workspace "
                f"({self.root}): run the pipeline that writes it first, or register one with "
                f"`python -m mlops_lab.azure.data_assets register --to {self.root.parent}`."
            )
        chosen = versions[-1] if version == "latest" else version
        if chosen not in versions:
            raise EmulationError(
                f"data asset '{name}' has no version {chosen!r} (has {', '.join(versions)})"
            )
        return self.root / name / chosen

    def register(self, name: str, folder: Path, version: str | None = None) -> str:
        numbers = [int(v) for v in self.versions(name) if v.isdigit()]
        version = version or str(max(numbers, default=0) + 1)
        target = self.root / name / version
        if target.exists():
            raise EmulationError(f"data asset '{name}' already has version {version}")
        shutil.copytree(folder, target)
        return version


@dataclass
class StepResult:
    """What running a step produced."""

    name: str
    compute: str
    seconds: float
    output_dirs: dict[str, Path]
    run_id: str | None = None
    registered: dict[str, str] = field(default_factory=dict)  # asset name -> version


@dataclass
class JobTracking:
    """The MLflow runs of an emulated pipeline job (as Azure ML creates them)."""

    tracking_uri: str
    experiment_name: str
    parent_run_id: str = ""
    experiment_id: str = ""

    def start_job(self, job_name: str) -> None:
        client = MlflowClient(self.tracking_uri)
        experiment = client.get_experiment_by_name(self.experiment_name)
        self.experiment_id = (
            experiment.experiment_id
            if experiment is not None
            else client.create_experiment(self.experiment_name)
        )
        parent = client.create_run(
            self.experiment_id, run_name=job_name, tags={"azureml.runType": "pipeline"}
        )
        self.parent_run_id = parent.info.run_id

    def start_step(self, step: str) -> dict[str, str]:
        """Create the step's child run; return the variables the service exports."""
        run = MlflowClient(self.tracking_uri).create_run(
            self.experiment_id,
            run_name=step,
            tags={"mlflow.parentRunId": self.parent_run_id, "azureml.runType": "step"},
        )
        return {
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "MLFLOW_EXPERIMENT_ID": self.experiment_id,
            "MLFLOW_EXPERIMENT_NAME": self.experiment_name,
            "MLFLOW_RUN_ID": run.info.run_id,
        }

    def end(self, run_id: str, ok: bool) -> None:
        MlflowClient(self.tracking_uri).set_terminated(run_id, "FINISHED" if ok else "FAILED")


def parse_pipeline_job(path: Path) -> list[Step]:
    """Read a compiled pipeline job and return its command steps in execution order."""
    try:
        job = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise EmulationError(f"{path}: cannot read the compiled pipeline ({error}).") from None
    if not isinstance(job, dict) or job.get("type") != "pipeline" or "jobs" not in job:
        raise EmulationError(f"{path}: expected an Azure ML pipeline job with a 'jobs' section.")
    steps: dict[str, Step] = {}
    for name, spec in job["jobs"].items():
        component = spec.get("component") or {}
        command = component.get("command") or spec.get("command")
        if spec.get("type") != "command" or not command:
            raise EmulationError(f"{path}: job '{name}' is not a command step with a command.")
        inputs: dict[str, tuple[str, str] | None] = {}
        asset_inputs: dict[str, tuple[str, str]] = {}
        for input_name, value in (spec.get("inputs") or {}).items():
            reference = value.get("path", "") if isinstance(value, dict) else str(value)
            match = PARENT_JOB_OUTPUT.fullmatch(reference.strip())
            inputs[input_name] = (match.group(1), match.group(2)) if match else None
            asset = ASSET_REFERENCE.fullmatch(reference.strip())
            if asset:
                asset_inputs[input_name] = (asset["name"], asset["version"] or "latest")
        asset_outputs = {
            output_name: value["name"]
            for output_name, value in (spec.get("outputs") or {}).items()
            if isinstance(value, dict) and value.get("name")
        }
        steps[name] = Step(
            name=name,
            command=" ".join(str(command).split()),
            inputs=inputs,
            outputs=list((component.get("outputs") or spec.get("outputs") or {}).keys()),
            compute=str(spec.get("compute", "")).removeprefix("azureml:"),
            environment_variables={
                key: str(value) for key, value in (spec.get("environment_variables") or {}).items()
            },
            asset_inputs=asset_inputs,
            asset_outputs=asset_outputs,
        )
    for step in steps.values():
        unknown = step.upstream - steps.keys()
        if unknown:
            raise EmulationError(f"{path}: step '{step.name}' reads from unknown steps {unknown}.")
    order = TopologicalSorter({name: step.upstream for name, step in steps.items()})
    return [steps[name] for name in order.static_order()]


def _resolve_command(
    step: Step, folders: dict[tuple[str, str], Path], assets: AssetStore | None = None
) -> list[str]:
    def substitute(match: re.Match) -> str:
        kind, name = match.groups()
        if kind == "outputs":
            return str(folders[(step.name, name)])
        if name in step.asset_inputs:
            if assets is None:
                raise EmulationError(
                    f"step '{step.name}': input '{name}' is data asset "
                    f"'{step.asset_inputs[name][0]}': emulate with a datastore"
                )
            return str(assets.resolve(*step.asset_inputs[name]))
        binding = step.inputs.get(name)
        if binding is None:
            raise EmulationError(f"step '{step.name}': input '{name}' is not bound to a step.")
        return str(folders[binding])

    arguments = shlex.split(STEP_PLACEHOLDER.sub(substitute, step.command))
    if arguments and arguments[0] == "kedro":
        arguments[0] = str(Path(sys.executable).with_name("kedro"))
    return arguments


def emulate_pipeline_job(
    compiled: Path,
    project_path: Path,
    workdir: Path,
    timeout: float = 1800,
    tracking: JobTracking | None = None,
    datastore: Path | None = None,
) -> list[StepResult]:
    """Execute every step of ``compiled`` in ``project_path``; outputs go under ``workdir``.

    Args:
        tracking: When given, MLflow runs are made as Azure ML makes them (a parent run
            for the job, a child run per step, the step's run id in its environment).
        datastore: A local folder standing for the workspace's datastore: the raw files
            are uploaded there (as ``mlops_lab.azure.datastore upload`` does to Azure)
            and every step reads and writes its catalog there (``MLOPS_LAB_DATA_ROOT``
            replaces the ``abfs://`` data root of the ``azureml`` environment). This is
            how a ``make compile`` job (``--env azureml``) runs here unchanged.

    Raises:
        EmulationError: naming the step whose command failed, with the end of its output.
    """
    steps = parse_pipeline_job(compiled)
    mapped, assets = {}, None
    if datastore is not None:
        upload_raw(project_path, str(datastore))
        mapped[DATA_ROOT_VARIABLE] = str(datastore)
        assets = AssetStore(datastore / ASSETS_FOLDER)
    if tracking is not None:
        tracking.start_job(compiled.stem)
    folders: dict[tuple[str, str], Path] = {}
    for step in steps:
        for output in step.outputs:
            folder = workdir / step.name / output
            folder.mkdir(parents=True, exist_ok=True)
            folders[(step.name, output)] = folder
    results = []
    for index, step in enumerate(steps, 1):
        arguments = _resolve_command(step, folders, assets)
        logger.info("[%d/%d] %s on %s", index, len(steps), step.name, step.compute)
        started = time.perf_counter()
        service = tracking.start_step(step.name) if tracking is not None else {}
        completed = subprocess.run(
            arguments,
            cwd=project_path,
            env={**os.environ, **step.environment_variables, **mapped, **service},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if tracking is not None:
            tracking.end(service["MLFLOW_RUN_ID"], completed.returncode == 0)
            if completed.returncode != 0:
                tracking.end(tracking.parent_run_id, False)
        if completed.returncode != 0:
            tail = (completed.stdout + completed.stderr)[-4000:]
            raise EmulationError(
                f"step '{step.name}' failed (exit {completed.returncode}): "
                f"{shlex.join(arguments)}\n{tail}"
            )
        registered = {}
        if assets is not None:  # as Azure ML registers a named output when the step ends
            for output, asset in step.asset_outputs.items():
                registered[asset] = assets.register(asset, folders[(step.name, output)])
                logger.info("registered data asset %s:%s", asset, registered[asset])
        results.append(
            StepResult(
                name=step.name,
                compute=step.compute,
                seconds=time.perf_counter() - started,
                output_dirs={o: folders[(step.name, o)] for o in step.outputs},
                run_id=service.get("MLFLOW_RUN_ID"),
                registered=registered,
            )
        )
    if tracking is not None:
        tracking.end(tracking.parent_run_id, True)
    return results


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("compiled", type=Path)
    parser.add_argument("--workdir", type=Path, default=Path("azureml_compiled/emulation"))
    parser.add_argument("--project-path", type=Path, default=Path.cwd())
    parser.add_argument(
        "--tracking-uri",
        help="MLflow store to create the job's runs in (default: the project's mlruns.db)",
    )
    parser.add_argument(
        "--experiment", help="Experiment of the pipeline job (default: the compiled file's name)"
    )
    parser.add_argument(
        "--datastore",
        type=Path,
        help="local folder standing for the workspace datastore (default: WORKDIR/datastore)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    tracking = JobTracking(
        args.tracking_uri or f"sqlite:///{args.project_path.resolve() / 'mlruns.db'}",
        args.experiment or args.compiled.stem,
    )
    results = emulate_pipeline_job(
        args.compiled,
        args.project_path,
        args.workdir,
        tracking=tracking,
        datastore=(args.datastore or args.workdir / "datastore").resolve(),
    )
    for result in results:
        assets = " ".join(f"{name}:{version}" for name, version in result.registered.items())
        print(
            f"{result.name:40s} {result.compute:15s} {result.seconds:7.1f} s  run {result.run_id}"
            + (f"  registered {assets}" if assets else "")
        )


if __name__ == "__main__":
    main()
