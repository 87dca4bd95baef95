"""``kedro azureml submit``: the plugin's ``run`` command under the name users are told.

kedro-azureml ships ``kedro azureml run``. Our documentation (and the Azure ML vocabulary)
says *submit*, so this module adds ``submit`` to the plugin's own ``azureml`` group with the
same options plus ``--env``. Before handing over to the plugin it runs the offline checks of
:mod:`mlops_lab.azure.preflight`, so placeholders or missing credentials end with one clear
message instead of a traceback or a browser login prompt.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

try:
    import kedro_azureml.cli_functions
    from kedro_azureml.cli import azureml_group
    from kedro_azureml.cli import run as plugin_run

    from mlops_lab.azure.generator import ProjectPipelineGenerator

    # `kedro azureml compile|submit|run` build their jobs with the project's generator
    # (an environment and a node count per compute alias, see mlops_lab.azure.generator).
    kedro_azureml.cli_functions.AzureMLPipelineGenerator = ProjectPipelineGenerator
except ImportError:  # Python 3.13: kedro-azureml 1.0.0 is not installable there
    azureml_group = plugin_run = None

from mlops_lab.azure.preflight import AzurePreflightError, check_ready_to_submit, read_config
from mlops_lab.tracking import experiment_for, parse_problems

# conf/base/azureml.yml: experiment_name: ${env_or:MLOPS_LAB_AZUREML_EXPERIMENT,mlops-lab}
EXPERIMENT_VARIABLE = "MLOPS_LAB_AZUREML_EXPERIMENT"


def _problem_experiment(project_path: Path, env: str, pipeline: str) -> str | None:
    """The experiment of the problem ``pipeline`` belongs to (tracking.yml), if one."""
    tracking = read_config(project_path, env, "tracking")
    return experiment_for(parse_problems(tracking), [pipeline]) if tracking else None


@click.pass_context
def _submit(click_context: click.Context, env: str | None, **run_options) -> None:
    cli_context = click_context.obj
    if env:
        cli_context.env = env
    project_path = Path(cli_context.metadata.project_path)
    # A problem's pipeline job goes to the problem's experiment (azureml.yml reads it).
    experiment = _problem_experiment(
        project_path, cli_context.env, run_options.get("pipeline") or "__default__"
    )
    if experiment and EXPERIMENT_VARIABLE not in os.environ:
        os.environ[EXPERIMENT_VARIABLE] = experiment
        click.echo(f"Azure ML experiment: {experiment}")
    azureml = read_config(project_path, cli_context.env, "azureml")
    globals_ = read_config(project_path, cli_context.env, "globals")
    try:
        source = check_ready_to_submit(azureml, cli_context.env, project_path, globals_)
    except AzurePreflightError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Azure credentials: {source}. Submitting with kedro-azureml...")
    click_context.invoke(plugin_run, **run_options)


def _submit_command() -> click.Command:
    return click.Command(
        name="submit",
        callback=_submit,
        params=[
            click.Option(
                ["-e", "--env"],
                default=None,
                help="Kedro environment (overrides `kedro azureml --env`); e.g. azureml.",
            ),
            *plugin_run.params,
        ],
        help=(
            "Submit a pipeline to Azure ML as a pipeline job (kedro-azureml's `run`, after "
            "offline checks of the workspace settings and Azure credentials)."
        ),
    )


if azureml_group is not None and "submit" not in azureml_group.commands:
    submit = _submit_command()
    azureml_group.add_command(submit)


@click.group(name="mlops_lab")
def commands() -> None:
    """Project commands (adds `kedro azureml submit`)."""
