"""Start the endpoint of a registered model: ``kedro serve`` and ``python -m mlops_lab.serving``.

``kedro serve --model battery-cycles`` serves ``battery-cycles@champion`` of the project's
MLflow registry (``conf/<env>/mlflow.yml``) on http://127.0.0.1:8080; ``--alias`` or
``--version`` pick another version. ``python -m mlops_lab.serving`` does the same outside
a Kedro project, given ``--tracking-uri``. A model name, alias or version the registry does
not hold stops either command before it serves (exit status 1, one line naming what the
registry does hold).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import uvicorn

from mlops_lab.registry import CHAMPION
from mlops_lab.serving.payload import Limits

DEFAULTS = Limits()


def _reference(alias: str | None, version: int | None) -> str:
    if alias and version is not None:
        raise click.UsageError("Give --alias or --version, not both.")
    return str(version) if version is not None else alias or CHAMPION


def check_registered(model_name: str, reference: str) -> None:
    """Fail before serving when the registry holds no such model, alias or version.

    The workers resolve the reference again when they load the model; this check only
    turns a name, alias or version that does not exist into one message (naming the
    registered models, or the model's aliases and versions) instead of a server whose
    ``/health`` says ``failed``.

    Raises:
        click.ClickException: naming the model, the reference and what exists.
    """
    import mlflow
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    try:
        model = client.get_registered_model(model_name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_DOES_NOT_EXIST":
            raise
        names = sorted(m.name for m in client.search_registered_models(max_results=1000))
        held = f"registered models: {', '.join(names)}" if names else "it holds no models yet"
        raise click.ClickException(
            f"No registered model '{model_name}' in the registry {mlflow.get_registry_uri()}; "
            f"{held}."
        ) from None
    versions = sorted(int(v.version) for v in client.search_model_versions(f"name='{model_name}'"))
    listed = ", ".join(map(str, versions)) or "none"
    if reference.isdigit():
        if int(reference) not in versions:
            raise click.ClickException(
                f"Registered model '{model_name}' has no version {reference}; "
                f"its versions: {listed}."
            )
        return
    if reference not in model.aliases:
        aliases = ", ".join(
            f"{alias} (version {version})" for alias, version in sorted(model.aliases.items())
        )
        raise click.ClickException(
            f"Registered model '{model_name}' has no alias '{reference}'; "
            f"its aliases: {aliases or 'none'}; its versions: {listed}."
        )


def serving_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options both commands share."""
    options = [
        click.option("--model", "model_name", required=True, help="Registered model name."),
        click.option("--alias", default=None, help=f"Alias to serve (default {CHAMPION})."),
        click.option("--version", type=click.IntRange(min=1), default=None, help="Version."),
        click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind."),
        click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True),
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Worker processes (each loads the model once).",
        ),
        click.option(
            "--threads",
            type=click.IntRange(min=1),
            default=4,
            show_default=True,
            help="Predictions at once per worker.",
        ),
        click.option(
            "--max-body-bytes",
            type=click.IntRange(min=1),
            default=DEFAULTS.max_body_bytes,
            show_default=True,
        ),
        click.option(
            "--max-records",
            type=click.IntRange(min=1),
            default=DEFAULTS.max_records,
            show_default=True,
        ),
        click.option(
            "--timeout",
            "timeout_s",
            type=click.FloatRange(min=0.001),
            default=DEFAULTS.timeout_s,
            show_default=True,
            help="Seconds to receive a request and to predict it.",
        ),
        click.option(
            "--graceful-timeout",
            "graceful_s",
            type=click.FloatRange(min=0),
            default=30.0,
            show_default=True,
            help="On SIGTERM, seconds in-flight requests get to finish.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def run_server(
    *,
    model_name: str,
    alias: str | None,
    version: int | None,
    tracking_uri: str | None,
    registry_uri: str | None,
    host: str,
    port: int,
    workers: int,
    threads: int,
    max_body_bytes: int,
    max_records: int,
    timeout_s: float,
    graceful_s: float,
) -> None:
    """Serve the model with uvicorn until SIGTERM / SIGINT (in-flight requests finish).

    Raises:
        click.ClickException: when the registry holds no such model, alias or version.
    """
    import mlflow

    from mlops_lab.serving.app import CONFIG_VARIABLE, ServingConfig

    reference = _reference(alias, version)
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    if registry_uri or tracking_uri:
        mlflow.set_registry_uri(registry_uri or tracking_uri)
    check_registered(model_name, reference)
    config = ServingConfig(
        model_name=model_name,
        reference=reference,
        tracking_uri=tracking_uri,
        registry_uri=registry_uri,
        limits=Limits(max_body_bytes, max_records, timeout_s),
        prediction_threads=threads,
    )
    os.environ[CONFIG_VARIABLE] = config.to_json()  # read by each worker's app factory
    click.echo(f"Serving {model_name}@{config.reference} on http://{host}:{port}")
    settings = {
        "host": host,
        "port": port,
        "factory": True,
        "timeout_graceful_shutdown": graceful_s,
        "timeout_keep_alive": 5,
    }
    if workers > 1:  # uvicorn's supervisor starts, watches and stops the workers
        uvicorn.run(APP, workers=workers, **settings)
        return
    server = StoppableServer(uvicorn.Config(APP, **settings))
    server.run()
    if not server.started:
        raise SystemExit(3)  # as uvicorn: the server could not start (port in use, ...)


APP = "mlops_lab.serving.app:app_from_environment"


class StoppableServer(uvicorn.Server):
    """uvicorn's server, but SIGTERM / SIGINT are a requested stop: exit status 0.

    uvicorn finishes the requests in flight (up to ``timeout_graceful_shutdown``), then
    raises the signal again, so the process would end killed by it (status -15).
    """

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


@click.group(name="mlops_lab_serving")
def commands() -> None:
    """Project commands (adds `kedro serve`)."""


@commands.command(name="serve")
@serving_options
@click.option("-e", "--env", default=None, help="Kedro environment whose mlflow.yml to use.")
def serve(env: str | None, **options: Any) -> None:
    """Serve a registered model of this project's MLflow registry over HTTP."""
    import mlflow
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    project_path = Path.cwd()
    bootstrap_project(project_path)
    with KedroSession.create(project_path=project_path, env=env) as session:
        session.load_context()  # the project's hook sets MLflow's URIs from mlflow.yml
        tracking_uri, registry_uri = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    run_server(tracking_uri=tracking_uri, registry_uri=registry_uri, **options)


@click.command(name="serve")
@serving_options
@click.option(
    "--tracking-uri",
    envvar="MLFLOW_TRACKING_URI",
    required=True,
    help="MLflow tracking URI, e.g. sqlite:///mlruns.db.",
)
@click.option(
    "--registry-uri",
    envvar="MLFLOW_REGISTRY_URI",
    default=None,
    help="MLflow registry URI (default: the tracking URI).",
)
def standalone(**options: Any) -> None:
    """Serve a registered model of an MLflow registry over HTTP."""
    run_server(**options)
