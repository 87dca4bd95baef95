"""`kedro azureml submit` from the real Kedro CLI: clear message, no traceback, no network."""

from __future__ import annotations

import pytest
from click.testing import CliRunner


def _kedro(project, args):
    from kedro.framework.cli.cli import KedroCLI

    return CliRunner().invoke(KedroCLI(project_path=project), args, catch_exceptions=True)


def test_submit_is_listed_next_to_the_plugin_commands(kedro_project):
    result = _kedro(kedro_project, ["azureml", "--help"])
    assert result.exit_code == 0
    for command in ("compile", "run", "submit"):
        assert command in result.output


@pytest.mark.usefixtures("no_azure_credentials")
def test_submit_with_placeholders_stops_before_any_network_call(kedro_project, no_network):
    result = _kedro(kedro_project, ["azureml", "submit", "--env", "azureml", "-p", "__default__"])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Not submitted to Azure ML (nothing was sent)" in result.output
    assert "azure.subscription_id: <subscription-id>" in result.output
    assert "conf/azureml/globals.yml" in result.output
    assert "No Azure credentials found" in result.output
    assert "Traceback" not in result.output
    assert no_network == []


@pytest.mark.usefixtures("no_azure_credentials")
def test_submit_with_filled_workspace_but_no_credentials(kedro_project, no_network):
    azureml = kedro_project / "conf" / "azureml"
    text = (kedro_project / "conf" / "base" / "azureml.yml").read_text()
    for placeholder, value in (
        ("<subscription-id>", "00000000-1111-2222-3333-444444444444"),
        ("<resource-group>", "rg-mlops"),
        ("<workspace-name>", "ws-mlops"),
    ):
        text = text.replace(placeholder, value)
    (azureml / "azureml.yml").write_text(text)
    (azureml / "globals.yml").write_text("data_root: abfs://data@acct.dfs.core.windows.net/x\n")
    result = _kedro(kedro_project, ["azureml", "submit", "--env", "azureml"])
    assert result.exit_code == 1, result.output
    assert "No Azure credentials found" in result.output
    assert "placeholders" not in result.output
    assert no_network == []


def test_submit_can_wait_for_the_job_and_pin_asset_versions(kedro_project):
    result = _kedro(kedro_project, ["azureml", "submit", "--help"])
    assert result.exit_code == 0, result.output
    for option in ("--wait-for-completion", "--load-versions", "--params", "--env"):
        assert option in result.output


def test_the_plugins_own_compile_uses_the_projects_generator(kedro_project, tmp_path, no_network):
    """`kedro azureml compile` (not only `make compile`) gives gpu steps the GPU environment."""
    import yaml

    output = tmp_path / "pipeline.yaml"
    result = _kedro(
        kedro_project,
        ["azureml", "-e", "azureml", "compile", "-p", "component_compliance", "-o", str(output)],
    )
    assert result.exit_code == 0, result.output
    steps = yaml.safe_load(output.read_text())["jobs"]
    assert steps["train_compliance_classifier"]["environment"] == "azureml:mlops-lab-gpu@latest"
    assert steps["train_compliance_classifier"]["compute"] == "azureml:gpu-cluster"
    assert steps["score_component_compliance_candidates"]["environment"] == (
        "azureml:mlops-lab-cpu@latest"
    )
    assert no_network == []
