"""The raw files reach the datastore the `azureml` environment reads, and nothing is sent
while the destination or the credentials are not ready."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlops_lab.azure.datastore import main, raw_files, upload_raw
from mlops_lab.azure.preflight import AzurePreflightError

ROOT = Path(__file__).resolve().parents[2]


def test_every_shipped_raw_file_is_uploaded_under_the_data_root(tmp_path: Path):
    written = upload_raw(ROOT, str(tmp_path / "store"))
    expected = raw_files(ROOT)
    assert len(written) == len(expected)
    assert Path("01_raw/maintenance/car-maintenance-data.csv") in expected
    for relative in expected:
        copy = tmp_path / "store" / relative
        assert copy.read_bytes() == (ROOT / "data" / relative).read_bytes(), relative


def test_a_placeholder_data_root_is_refused_before_anything_is_sent(no_network):
    with pytest.raises(AzurePreflightError, match=r"data_root = 'abfs://<container>/"):
        upload_raw(ROOT, "abfs://<container>/mlops-lab/data", "account")
    assert no_network == []


def test_abfs_without_credentials_is_refused_offline(no_network, no_azure_credentials):
    with pytest.raises(AzurePreflightError, match="No Azure credentials found"):
        upload_raw(ROOT, "abfs://raw/mlops-lab/data", "mlopslabstore")
    with pytest.raises(AzurePreflightError, match="azure_storage_account is needed"):
        upload_raw(ROOT, "abfs://raw/mlops-lab/data", None)
    assert no_network == []


def test_the_command_refuses_the_example_configuration(no_network, capsys):
    # conf/azureml/globals.yml ships placeholders: the command names them and exits.
    with pytest.raises(SystemExit, match=r"placeholders: data_root = 'abfs://<container>"):
        main(["upload", "--project-path", str(ROOT)])
    assert no_network == []
