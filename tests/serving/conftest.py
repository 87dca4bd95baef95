"""Endpoints of registered models on loopback, for the serving tests.

One throw-away SQLite registry per test session holds a version of each model
(:mod:`tests.serving.models`); each model gets a real uvicorn server on a free loopback
port, in a thread of the test process (the graceful-shutdown test starts its own
process). Tests talk to them over real HTTP.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import pytest
import requests
import uvicorn
from tests.serving.models import (
    AEROSOL,
    BATTERY,
    COMPONENTS,
    LSTM,
    MAINTENANCE,
    SLEEPY,
    register_all,
)

from mlops_lab.serving.app import ServingConfig, create_app
from mlops_lab.serving.payload import Limits

LIMITS = Limits(max_body_bytes=2_000_000, max_records=2_000, timeout_s=10.0)
MODELS = (BATTERY, AEROSOL, COMPONENTS, MAINTENANCE, LSTM)
"""The registered models of the lanes (every name but the sleepy test model)."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Endpoint:
    """A running server: its address, a keep-alive HTTP session, the app state."""

    url: str
    app: Any
    server: uvicorn.Server
    thread: threading.Thread
    http: requests.Session

    def post(self, payload: Any = None, raw: bytes | None = None, **headers: str):
        body = raw if raw is not None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **headers}
        return self.http.post(f"{self.url}/invocations", data=body, headers=headers, timeout=30)

    def get(self, path: str):
        return self.http.get(f"{self.url}{path}", timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.http.close()


def start_endpoint(config: ServingConfig, load: bool = True) -> Endpoint:
    """Serve ``config`` in a thread; returns once the server accepts connections."""
    app = create_app(config, load=load)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name=f"serve-{config.model_name}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"server of {config.model_name} did not start")
        time.sleep(0.02)
    return Endpoint(f"http://127.0.0.1:{port}", app, server, thread, requests.Session())


def wait_healthy(endpoint: Endpoint, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = endpoint.get("/health")
        if answer.status_code == 200:
            return answer.json()
        if answer.json()["status"] == "failed":
            raise RuntimeError(answer.json())
        time.sleep(0.05)
    raise TimeoutError(f"{endpoint.url} not healthy after {seconds} s")


@pytest.fixture(scope="session")
def registry_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite registry with version 1 (@champion, @challenger) of every test model."""
    folder: Path = tmp_path_factory.mktemp("serving-registry")
    uri = f"sqlite:///{folder / 'mlruns.db'}"
    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    register_all(uri)
    mlflow.set_tracking_uri(previous[0])
    mlflow.set_registry_uri(previous[1])
    yield uri


@pytest.fixture(scope="session")
def registered(registry_uri: str) -> dict[str, Any]:
    """The registered versions as the registry loads them (for in-process predictions)."""
    from mlops_lab.registry import load_registered_model

    mlflow.set_tracking_uri(registry_uri)
    mlflow.set_registry_uri(registry_uri)
    try:
        return {name: load_registered_model(name, "champion") for name in MODELS}
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)


@pytest.fixture(scope="session")
def endpoints(registry_uri: str) -> Iterator[dict[str, Endpoint]]:
    """A healthy endpoint per model at ``@champion``, serving over loopback."""
    running = {
        name: start_endpoint(ServingConfig(name, "champion", registry_uri, limits=LIMITS))
        for name in (*MODELS, SLEEPY)
    }
    try:
        for endpoint in running.values():
            wait_healthy(endpoint)
        yield running
    finally:
        for endpoint in running.values():
            endpoint.stop()
