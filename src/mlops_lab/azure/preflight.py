"""Checks made before anything is sent to Azure ML.

``kedro azureml submit`` must stop with one clear message, before any network call, when
the workspace settings still hold the example placeholders or when no Azure credentials
can be found. Credentials are looked for the way ``DefaultAzureCredential`` looks for
them, without asking any server: a service principal in the environment, a managed
identity endpoint, or an Azure CLI login on this machine.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"<[^<>]+>")
SERVICE_PRINCIPAL_SECRETS = (
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
)
CREDENTIAL_HELP = (
    "Configure Azure credentials with one of:\n"
    "  - `az login` (Azure CLI) on this machine;\n"
    "  - a service principal: AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET "
    "(or AZURE_CLIENT_CERTIFICATE_PATH / AZURE_FEDERATED_TOKEN_FILE);\n"
    "  - a managed identity (on Azure compute)."
)


def read_config(project_path: Path, env: str, key: str) -> dict | None:
    """The merged ``key`` configuration (``azureml``, ``globals``, ...) of ``env``.

    Read with the project's own config loader and settings (custom resolvers and config
    patterns included), without a Kedro session: no hook runs, nothing is contacted.
    ``None`` when ``env`` has no such configuration.
    """
    from kedro.config import MissingConfigException
    from kedro.framework.project import settings

    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(project_path / settings.CONF_SOURCE), env=env, **settings.CONFIG_LOADER_ARGS
    )
    try:
        return dict(loader[key])
    except (KeyError, MissingConfigException):
        return None


class AzurePreflightError(RuntimeError):
    """The project is not ready to be sent to Azure ML."""


def iter_placeholders(config: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(dotted.key, value)`` for every string value that still holds ``<...>``."""
    if isinstance(config, Mapping):
        for key, value in config.items():
            yield from iter_placeholders(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(config, list | tuple):
        for index, value in enumerate(config):
            yield from iter_placeholders(value, f"{prefix}[{index}]")
    elif isinstance(config, str) and PLACEHOLDER.search(config):
        yield prefix, config


def find_azure_credentials(
    environ: Mapping[str, str] | None = None, home: Path | None = None
) -> str | None:
    """Name the credential source ``DefaultAzureCredential`` would find, or ``None``.

    Looks only at the environment and local files; never contacts a server.
    """
    environ = os.environ if environ is None else environ
    home = Path.home() if home is None else home
    if environ.get("AZURE_CLIENT_ID") and environ.get("AZURE_TENANT_ID"):
        secret = next((name for name in SERVICE_PRINCIPAL_SECRETS if environ.get(name)), None)
        if secret:
            return f"service principal from the environment ({secret})"
    if environ.get("IDENTITY_ENDPOINT") or environ.get("MSI_ENDPOINT"):
        return "managed identity"
    azure_dir = Path(environ.get("AZURE_CONFIG_DIR", home / ".azure"))
    token_caches = ("msal_token_cache.json", "msal_token_cache.bin")
    if shutil.which("az") and any((azure_dir / name).exists() for name in token_caches):
        return f"Azure CLI login ({azure_dir})"
    return None


def check_ready_to_submit(
    azureml_config: Mapping[str, Any] | None,
    env: str,
    project_path: Path,
    globals_config: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> str:
    """Raise :class:`AzurePreflightError` listing everything to fix; return the credential source.

    Args:
        azureml_config: The merged ``azureml*`` configuration of ``env`` (``None`` if absent).
        globals_config: The merged ``globals`` of ``env`` (data locations), also checked.
        env: The Kedro environment used for the submission.
        project_path: The project root (to name the files to edit).
        environ: Environment variables (defaults to ``os.environ``).
        home: Home directory (defaults to the user's).
    """
    problems: list[str] = []
    conf_dir = project_path / "conf" / env
    if not conf_dir.is_dir() or not any(
        path.is_file() and path.stat().st_size > 0 for path in conf_dir.rglob("*")
    ):
        problems.append(
            f"The Kedro environment '{env}' has no configuration ({conf_dir} is missing or "
            f"empty). Submit with `--env azureml` (checked in) or fill conf/{env}/."
        )
    if not azureml_config:
        problems.append(
            f"No azureml.yml found for environment '{env}'. Start from conf/base/azureml.yml."
        )
    else:
        placeholders = list(iter_placeholders(azureml_config))
        if placeholders:
            listed = "\n".join(f"    {key}: {value}" for key, value in placeholders)
            problems.append(
                "The Azure ML workspace settings still hold example placeholders; set them "
                f"in conf/base/azureml.yml or conf/{env}/azureml.yml:\n{listed}"
            )
    data_placeholders = list(iter_placeholders(globals_config or {}))
    if data_placeholders:
        listed = "\n".join(f"    {key}: {value}" for key, value in data_placeholders)
        problems.append(
            f"The data locations still hold placeholders; set them in conf/{env}/globals.yml:\n"
            f"{listed}"
        )
    source = find_azure_credentials(environ, home)
    if source is None:
        problems.append("No Azure credentials found. " + CREDENTIAL_HELP)
    if problems:
        numbered = "\n".join(f"{i}. {problem}" for i, problem in enumerate(problems, 1))
        raise AzurePreflightError(
            "Not submitted to Azure ML (nothing was sent). Fix the following first:\n" + numbered
        )
    return source  # type: ignore[return-value]
