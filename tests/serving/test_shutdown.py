"""Graceful shutdown, for real: the server as its own process, SIGTERM during a request."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests
from tests.conftest import PROJECT_ROOT
from tests.serving.conftest import free_port
from tests.serving.models import SLEEPY

pytestmark = pytest.mark.slow


def test_sigterm_lets_the_request_in_flight_finish_then_exits_0(registry_uri, tmp_path):
    port = free_port()
    environment = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),  # the test model's class lives in tests/serving
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlops_lab.serving",
            "--model",
            SLEEPY,
            "--version",
            "1",
            "--tracking-uri",
            registry_uri,
            "--port",
            str(port),
            "--graceful-timeout",
            "20",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=tmp_path,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                if requests.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the server did not become healthy"
            time.sleep(0.2)

        answers: list[requests.Response] = []
        slow = threading.Thread(
            target=lambda: answers.append(
                requests.post(
                    f"{url}/invocations", json={"dataframe_records": [{"seconds": 2.0}]}, timeout=30
                )
            )
        )
        slow.start()
        time.sleep(0.7)  # the request is being predicted
        server.send_signal(signal.SIGTERM)
        slow.join(timeout=30)
        assert server.wait(timeout=30) == 0
        assert [a.status_code for a in answers] == [200]
        assert answers[0].json()["predictions"] == [{"slept": 2.0}]
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{url}/health", timeout=2)
    finally:
        if server.poll() is None:
            server.kill()
        log.close()
    text = (tmp_path / "server.log").read_text()
    assert "Waiting for connections to close" in text or "Shutting down" in text
