"""Offline checks before submitting to Azure ML."""

from pathlib import Path

import pytest

from mlops_lab.azure.preflight import (
    AzurePreflightError,
    check_ready_to_submit,
    find_azure_credentials,
    iter_placeholders,
)

FILLED = {
    "azure": {
        "subscription_id": "00000000-1111-2222-3333-444444444444",
        "resource_group": "rg-mlops",
        "workspace_name": "ws-mlops",
        "compute": {"__default__": {"cluster_name": "cpu-cluster"}},
    }
}
SERVICE_PRINCIPAL = {
    "AZURE_CLIENT_ID": "app",
    "AZURE_TENANT_ID": "tenant",
    "AZURE_CLIENT_SECRET": "secret",
}


def _project(tmp_path: Path, env: str = "azureml") -> Path:
    (tmp_path / "conf" / env).mkdir(parents=True)
    (tmp_path / "conf" / env / "globals.yml").write_text("data_root: data\n")
    return tmp_path


def test_placeholders_are_listed_with_their_keys():
    config = {"azure": {"subscription_id": "<subscription-id>", "compute": [{"x": "<c>"}]}}
    assert list(iter_placeholders(config)) == [
        ("azure.subscription_id", "<subscription-id>"),
        ("azure.compute[0].x", "<c>"),
    ]
    assert list(iter_placeholders(FILLED)) == []


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        (SERVICE_PRINCIPAL, "service principal from the environment (AZURE_CLIENT_SECRET)"),
        ({**SERVICE_PRINCIPAL, "AZURE_CLIENT_SECRET": ""}, None),  # id without a secret
        ({"IDENTITY_ENDPOINT": "http://169.254.169.254"}, "managed identity"),
        ({}, None),
    ],
)
def test_credential_sources(tmp_path, environ, expected):
    environ = {**environ, "AZURE_CONFIG_DIR": str(tmp_path / "none")}
    assert find_azure_credentials(environ, home=tmp_path) == expected


def test_azure_cli_login_is_found_from_its_token_cache(tmp_path, monkeypatch):
    azure_dir = tmp_path / ".azure"
    azure_dir.mkdir()
    (azure_dir / "msal_token_cache.json").write_text("{}")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text("#!/bin/sh\nexit 0\n")
    az.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    source = find_azure_credentials({"AZURE_CONFIG_DIR": str(azure_dir)}, home=tmp_path)
    assert source == f"Azure CLI login ({azure_dir})"


def test_ready_project_passes(tmp_path):
    source = check_ready_to_submit(
        FILLED, "azureml", _project(tmp_path), {"data_root": "abfs://c@a/x"}, SERVICE_PRINCIPAL
    )
    assert source.startswith("service principal")


def test_every_problem_is_reported_at_once(tmp_path):
    config = {"azure": {**FILLED["azure"], "workspace_name": "<workspace-name>"}}
    with pytest.raises(AzurePreflightError) as error:
        check_ready_to_submit(
            config,
            "azureml",
            _project(tmp_path),
            {"data_root": "abfs://<container>@<storage-account>.dfs.core.windows.net/d"},
            {"AZURE_CONFIG_DIR": str(tmp_path / "none")},
            home=tmp_path,
        )
    message = str(error.value)
    assert message.startswith("Not submitted to Azure ML (nothing was sent)")
    assert "azure.workspace_name: <workspace-name>" in message
    assert "conf/azureml/globals.yml" in message and "data_root" in message
    assert "No Azure credentials found" in message and "az login" in message


def test_empty_environment_folder_is_reported(tmp_path):
    (tmp_path / "conf" / "local").mkdir(parents=True)
    (tmp_path / "conf" / "local" / ".gitkeep").touch()
    with pytest.raises(AzurePreflightError, match="environment 'local' has no configuration"):
        check_ready_to_submit(FILLED, "local", tmp_path, None, SERVICE_PRINCIPAL)
