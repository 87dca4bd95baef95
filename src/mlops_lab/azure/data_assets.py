"""Register the project's registered datasets as versioned Azure ML data assets.

In the ``azureml`` environment the datasets the labs register (``conf/azureml/
catalog_assets.yml``: the daily battery series, the prepared aerosol model input, the
component text splits, the maintenance splits) are ``AzureMLAssetDataset`` entries: a job
that writes one registers a new version of the asset, a job that reads one reads
``<name>@latest`` or the version named with ``--load-versions``, and Azure ML records that
version on the job. Locally they stay Kedro-versioned files.

This command registers the newest local version of each as a new asset version, so a
workspace can start from data prepared on a laptop (and a run can be compared with
the laptop's):

    python -m mlops_lab.azure.data_assets register --dry-run DIR  # the specs, no network
    python -m mlops_lab.azure.data_assets register --to DIR       # an emulated workspace
    python -m mlops_lab.azure.data_assets register                # the workspace

Each asset version is tagged with the Kedro dataset and version it came from.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io import AbstractVersionedDataset, DatasetError
from kedro_azureml.datasets import AzureMLAssetDataset

from mlops_lab.azure.preflight import AzurePreflightError, check_ready_to_submit, read_config

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalAssetVersion:
    """The newest local version of one registered dataset, ready to become an asset."""

    dataset: str  # Kedro catalog name
    asset: str  # Azure ML data asset name
    filename: str  # the file inside the asset's folder
    source: Path  # the Kedro-versioned file
    kedro_version: str


def asset_datasets(project_path: Path, env: str = "azureml") -> dict[str, AzureMLAssetDataset]:
    """Every dataset of the project's pipelines that ``env`` maps to a data asset."""
    bootstrap_project(project_path)
    with KedroSession.create(project_path=project_path, env=env) as session:
        catalog = session.load_context().catalog
    names = sorted({name for pipe in pipelines.values() for name in pipe.datasets()})
    found = {}
    for name in names:
        if name.startswith("params:") or name == "parameters":
            continue
        dataset = catalog.get(name)
        if isinstance(dataset, AzureMLAssetDataset):
            found[name] = dataset
    return found


def local_versions(project_path: Path, env: str = "base") -> list[LocalAssetVersion]:
    """The newest local Kedro version of each asset dataset (``env``: where they live)."""
    assets = asset_datasets(project_path)
    with KedroSession.create(project_path=project_path, env=env) as session:
        catalog = session.load_context().catalog
    versions, missing = [], []
    for name, asset in assets.items():
        local = catalog.get(name)
        if not isinstance(local, AbstractVersionedDataset):
            raise TypeError(f"{name}: expected a versioned dataset in `{env}`, got {local!r}")
        try:
            source = Path(str(local._get_load_path()))
        except DatasetError:  # no version saved yet
            missing.append(name)
            continue
        versions.append(
            LocalAssetVersion(
                dataset=name,
                asset=asset._azureml_dataset,
                filename=Path(asset._dataset_config[asset._filepath_arg]).name,
                source=source,
                kedro_version=source.parent.name,
            )
        )
    if missing:
        logger.warning(
            "No local version of %s: run the pipelines that write them to register them too.",
            ", ".join(missing),
        )
    if not versions:
        raise FileNotFoundError(
            f"no local version of any asset dataset ({', '.join(missing)}): "
            "run the data pipelines first (`kedro run`)"
        )
    return versions


def staged_folder(version: LocalAssetVersion, root: Path) -> Path:
    """The asset's folder as a job reads it: ``<root>/<asset>/<filename>``."""
    folder = root / version.asset
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(version.source, folder / version.filename)
    return folder


def data_entity(version: LocalAssetVersion, folder: Path):
    """The ``azure.ai.ml`` ``Data`` entity of a new asset version."""
    from azure.ai.ml.constants import AssetTypes
    from azure.ai.ml.entities import Data

    return Data(
        name=version.asset,
        version=version.kedro_version,
        type=AssetTypes.URI_FOLDER,
        path=str(folder),
        description=f"Kedro dataset {version.dataset}, version {version.kedro_version}",
        tags={"kedro_dataset": version.dataset, "kedro_version": version.kedro_version},
    )


def _workspace_client(project_path: Path, env: str):
    """An ``MLClient`` of the workspace in ``azureml.yml``, after the offline checks."""
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential

    azureml = read_config(project_path, env, "azureml")
    check_ready_to_submit(azureml, env, project_path, read_config(project_path, env, "globals"))
    azure = azureml["azure"]
    return MLClient(
        DefaultAzureCredential(),
        azure["subscription_id"],
        azure["resource_group"],
        azure["workspace_name"],
    )


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("register", help="register local versions as assets")
    where = register.add_mutually_exclusive_group()
    where.add_argument("--dry-run", type=Path, help="write the asset specs here, send nothing")
    where.add_argument("--to", type=Path, help="an emulated workspace's datastore folder")
    register.add_argument("--env", default="azureml")
    register.add_argument("--project-path", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        versions = local_versions(args.project_path)
    except FileNotFoundError as error:  # nothing prepared locally yet: one line, no traceback
        raise SystemExit(f"error: {error}") from None
    client = None
    if not (args.to or args.dry_run):  # the workspace: check offline before copying anything
        try:
            client = _workspace_client(args.project_path, args.env)
        except AzurePreflightError as error:
            raise SystemExit(f"error: {error}") from None
    with tempfile.TemporaryDirectory() as staging:
        # A dry run keeps the staged folders beside the specs that point at them.
        root = (args.dry_run / "folders").resolve() if args.dry_run else Path(staging)
        staged = [(version, staged_folder(version, root)) for version in versions]
        if args.to:
            from mlops_lab.azure.emulate import ASSETS_FOLDER, AssetStore

            store = AssetStore(args.to / ASSETS_FOLDER)
            for version, folder in staged:
                number = store.register(version.asset, folder)
                print(f"{version.asset}:{number} <- {version.dataset} {version.kedro_version}")
            return
        entities = [data_entity(version, folder) for version, folder in staged]
        if args.dry_run:
            for entity in entities:
                entity.dump(args.dry_run / f"{entity.name}.yml")
                print(f"{args.dry_run / entity.name}.yml: {entity.name}:{entity.version}")
            return
        for entity in entities:
            created = client.data.create_or_update(entity)
            print(f"registered {created.name}:{created.version}")


if __name__ == "__main__":
    main()
