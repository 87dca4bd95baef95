"""Fixtures for the Azure ML tests: nothing here may reach a network beyond loopback."""

from __future__ import annotations

import importlib.util
import ipaddress
import socket

import pytest

# kedro-azureml 1.0.0 (its newest release) is not installable on Python 3.13; there the
# Azure ML tooling is absent and its tests are not collected (see tests/conftest.py).
AZUREML_MISSING = importlib.util.find_spec("kedro_azureml") is None
if AZUREML_MISSING:
    collect_ignore_glob = ["test_*.py"]


class NetworkCallAttempted(AssertionError):
    """Raised when code under test tries to reach a non-loopback address."""


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail any connection or name lookup that leaves this machine; record attempts."""
    attempts: list[object] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def is_loopback(host: object) -> bool:
        try:
            return ipaddress.ip_address(str(host)).is_loopback
        except ValueError:
            return host in ("localhost",)

    def guarded_connect(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(address, tuple) and not is_loopback(host):
            attempts.append(address)
            raise NetworkCallAttempted(f"network call to {address}")
        return real_connect(sock, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not is_loopback(host):
            attempts.append(host)
            raise NetworkCallAttempted(f"name lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)
    return attempts


@pytest.fixture
def no_azure_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """An environment in which no Azure credential source exists."""
    for name in (
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_CLIENT_SECRET",
        "AZURE_CLIENT_CERTIFICATE_PATH",
        "AZURE_FEDERATED_TOKEN_FILE",
        "IDENTITY_ENDPOINT",
        "MSI_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(tmp_path / "no-azure-cli"))
