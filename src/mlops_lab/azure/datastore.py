"""Put the checked-in raw files where the ``azureml`` environment reads them.

In Azure ML every step runs on its own machine and reads the catalog under ``data_root``
of ``conf/azureml/globals.yml`` (``abfs://<container>/mlops-lab/data`` on the
workspace's storage account). The raw inputs the repository ships (``data/01_raw``: the
SMEAR II labels and days, the lab's battery series, the car maintenance file) must be
there before the first job; everything else the jobs write themselves.

    python -m mlops_lab.azure.datastore upload            # to the workspace (az login)
    python -m mlops_lab.azure.datastore upload --to DIR   # to a local folder (emulation)

Uploading to ``abfs://`` uses adlfs with the caller's Azure identity (``az login``, a
service principal or a managed identity); the identity needs *Storage Blob Data
Contributor* on the account (``deploy/azureml/storage-access.json`` grants it to the
clusters). The checks of :mod:`mlops_lab.azure.preflight` run first, offline.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import fsspec

from mlops_lab.azure.preflight import (
    CREDENTIAL_HELP,
    AzurePreflightError,
    find_azure_credentials,
    iter_placeholders,
    read_config,
)

logger = logging.getLogger(__name__)
RAW_LAYER = "01_raw"
SKIPPED_NAMES = {".gitkeep"}


def raw_files(project_path: Path) -> list[Path]:
    """The raw input files of the project, relative to ``data/``."""
    data = project_path / "data"
    files = sorted(
        path.relative_to(data)
        for path in (data / RAW_LAYER).rglob("*")
        if path.is_file() and path.name not in SKIPPED_NAMES
    )
    if not files:
        raise FileNotFoundError(f"{data / RAW_LAYER}: no raw files to upload")
    return files


def _filesystem(data_root: str, storage_account: str | None) -> fsspec.AbstractFileSystem:
    protocol = data_root.split("://", 1)[0] if "://" in data_root else "file"
    if protocol in ("abfs", "abfss", "az"):
        return fsspec.filesystem(protocol, account_name=storage_account, anon=False)
    return fsspec.filesystem(protocol)


def check_destination(data_root: str, storage_account: str | None) -> None:
    """Refuse a destination that still holds placeholders, or Azure with no credential."""
    on_azure = data_root.startswith(("abfs://", "abfss://", "az://"))
    settings = {"data_root": data_root}
    if on_azure:
        settings["azure_storage_account"] = storage_account or ""
    problems = [f"{key} = {value!r}" for key, value in iter_placeholders(settings)]
    if problems:
        raise AzurePreflightError(
            "conf/azureml/globals.yml still holds placeholders: " + "; ".join(problems)
        )
    if on_azure:
        if not storage_account:
            raise AzurePreflightError(
                "conf/azureml/globals.yml: azure_storage_account is needed for abfs:// paths"
            )
        if find_azure_credentials() is None:
            raise AzurePreflightError("No Azure credentials found. " + CREDENTIAL_HELP)


def upload_raw(project_path: Path, data_root: str, storage_account: str | None = None) -> list[str]:
    """Copy every raw file to ``<data_root>/01_raw/...``; return the destinations."""
    check_destination(data_root, storage_account)
    filesystem = _filesystem(data_root, storage_account)
    root = data_root.rstrip("/")
    written = []
    for relative in raw_files(project_path):
        destination = f"{root}/{relative.as_posix()}"
        filesystem.makedirs(destination.rsplit("/", 1)[0], exist_ok=True)
        filesystem.put_file(str(project_path / "data" / relative), destination)
        logger.info("uploaded %s", destination)
        written.append(destination)
    return written


def _azureml_globals(project_path: Path, env: str) -> dict:
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project_path)
    return read_config(project_path, env, "globals") or {}


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    upload = commands.add_parser("upload", help="upload data/01_raw to the data root")
    upload.add_argument("--env", default="azureml", help="Kedro environment (its globals.yml)")
    upload.add_argument("--to", help="a data root instead of the environment's (a folder)")
    upload.add_argument("--project-path", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = _azureml_globals(args.project_path, args.env)
    data_root = args.to or str(config["data_root"])
    try:
        written = upload_raw(args.project_path, data_root, config.get("azure_storage_account"))
    except (AzurePreflightError, FileNotFoundError) as error:
        raise SystemExit(f"error: {error}") from None
    print(f"Uploaded {len(written)} raw files to {data_root}")


if __name__ == "__main__":
    main()
