"""Benchmark: the endpoint (``kedro serve``) against ``mlflow models serve``, same model version.

For each model, both servers are started the standard way as processes on loopback (one
worker each, one after the other so they never compete), given the same typical request
(the registered model's own input example, as ``dataframe_records``), and driven by
``concurrency`` client threads on keep-alive connections until ``--requests`` requests or
``--seconds`` seconds, whichever comes first. Printed per model, server and concurrency:
requests per second, p50 and p99 latency; and in-process ``predict`` of the same frame, so
the endpoint's overhead (HTTP, JSON, the request checks) reads as p50(endpoint, c=1) minus
p50(predict). Nothing leaves loopback. The machine's load average is printed beside the
figures: on a busy machine they are inflated.

Run from the project root after ``kedro run`` (the registered champions)::

    python benchmarks/serving.py
    python benchmarks/serving.py --models battery-cycles --requests 300 --seconds 20
    python benchmarks/serving.py --tracking-uri sqlite:////tmp/other/mlruns.db --version 2

``--stand-in-models`` registers the test suite's small versions of the three models
(``tests/serving/models.py``) into a throw-away registry and benchmarks those instead.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import mlflow
import pandas as pd
import requests

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("battery-cycles", "aerosol-event-classifier", "component-compliance")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def load() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def start(command: list[str], health: str, log: Path, environment: dict) -> subprocess.Popen:
    """Start a server process and wait (at most 180 s) until ``health`` answers 200."""
    process = subprocess.Popen(
        command, stdout=log.open("w"), stderr=subprocess.STDOUT, env=environment, cwd=ROOT
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{command[:4]} exited: {log.read_text()[-2000:]}")
        try:
            if requests.get(health, timeout=2).status_code == 200:
                return process
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    process.kill()
    raise TimeoutError(f"{command[:4]} not healthy after 180 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def drive(url: str, body: bytes, concurrency: int, requests_max: int, seconds: float) -> dict:
    """Send ``body`` from ``concurrency`` threads: bounded in count and in time."""
    latencies: list[float] = []
    failures: list[int] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    issued = iter(range(requests_max))

    def client() -> None:
        with requests.Session() as http:
            while time.monotonic() < deadline:
                with lock:
                    if next(issued, None) is None:
                        return
                begin = time.perf_counter()
                answer = http.post(
                    url, data=body, headers={"Content-Type": "application/json"}, timeout=60
                )
                elapsed = time.perf_counter() - begin
                with lock:
                    (latencies if answer.status_code == 200 else failures).append(
                        elapsed if answer.status_code == 200 else answer.status_code
                    )

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    begin = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - begin
    if failures:
        raise RuntimeError(f"{url}: {len(failures)} failed requests, statuses {set(failures)}")
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * percentile(latencies, 0.99),
    }


def register_stand_ins(folder: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from tests.serving.models import register_all

    uri = f"sqlite:///{folder / 'mlruns.db'}"
    register_all(uri)
    return uri


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--version", default="champion", help="an alias or a version number")
    parser.add_argument("--tracking-uri", default=f"sqlite:///{ROOT / 'mlruns.db'}")
    parser.add_argument("--stand-in-models", action="store_true")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--requests", type=int, default=400, help="per server and concurrency")
    parser.add_argument("--seconds", type=float, default=30.0, help="per server and concurrency")
    parser.add_argument("--output", type=Path, default=None, help="write the figures as JSON")
    args = parser.parse_args()

    from mlops_lab.registry import load_registered_model
    from mlops_lab.serving.payload import frame_of, input_columns

    workdir = Path(tempfile.mkdtemp(prefix="serving-bench-"))
    uri = register_stand_ins(workdir) if args.stand_in_models else args.tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    environment = {**os.environ, "MLFLOW_TRACKING_URI": uri, "MLFLOW_REGISTRY_URI": uri}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
    # `mlflow models serve` starts `uvicorn` from PATH, as in an activated environment.
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    print(f"registry {uri}; {load()}; {os.cpu_count()} CPUs")
    results = []
    for name in args.models:
        model = load_registered_model(name, args.version)
        example = model.python_model.input_example
        body = json.dumps(
            {"dataframe_records": json.loads(example.to_json(orient="records", date_format="iso"))}
        ).encode()
        signature = mlflow.models.get_model_info(f"models:/{name}/{model.version}").signature
        frame = frame_of(json.loads(body)["dataframe_records"], input_columns(signature))
        timings = []
        for _ in range(min(args.requests, 100)):
            begin = time.perf_counter()
            model.predict(frame)
            timings.append(time.perf_counter() - begin)
        in_process = 1000 * statistics.median(timings)
        print(
            f"\n{name} v{model.version}: {len(example)} records, {len(body)} bytes; "
            f"in-process predict p50 {in_process:.2f} ms ({load()})"
        )
        servers = {
            "kedro serve": (
                [
                    sys.executable,
                    "-m",
                    "mlops_lab.serving",
                    "--model",
                    name,
                    "--version",
                    model.version,
                    "--tracking-uri",
                    uri,
                ],
                "/health",
                "/invocations",
            ),
            "mlflow models serve": (
                [
                    sys.executable,
                    "-m",
                    "mlflow",
                    "models",
                    "serve",
                    "-m",
                    f"models:/{name}/{model.version}",
                    "--env-manager",
                    "local",
                    "-h",
                    "127.0.0.1",
                    "-w",
                    "1",
                ],
                "/ping",
                "/invocations",
            ),
        }
        for server, (command, health, route) in servers.items():
            port = free_port()
            flag = "--port" if server == "kedro serve" else "-p"
            process = start(
                [*command, flag, str(port)],
                f"http://127.0.0.1:{port}{health}",
                workdir / f"{name}-{server.split()[0]}.log",
                environment,
            )
            try:
                url = f"http://127.0.0.1:{port}{route}"
                drive(url, body, 1, 10, 10)  # warm-up
                for concurrency in args.concurrency:
                    figures = drive(url, body, concurrency, args.requests, args.seconds)
                    row = {
                        "model": name,
                        "version": model.version,
                        "server": server,
                        "concurrency": concurrency,
                        **figures,
                        "in_process_p50_ms": in_process,
                        "load": os.getloadavg()[0],
                    }
                    results.append(row)
                    print(
                        f"  {server:20s} c={concurrency}: {figures['rps']:7.1f} req/s  "
                        f"p50 {figures['p50_ms']:7.2f} ms  p99 {figures['p99_ms']:7.2f} ms  "
                        f"({figures['requests']} requests; {load()})"
                    )
            finally:
                stop(process)
    if args.output:
        args.output.write_text(json.dumps(results, indent=2))
    table = pd.DataFrame(results)
    if not table.empty:
        print("\n" + table.round(2).to_string(index=False))


if __name__ == "__main__":
    main()
