"""Exactly-once: a streaming run killed mid-way (SIGKILL), more files, a restart.

`kedro run -p battery_streaming` runs in a project copy with a registered champion, as a
real process in service mode (processing-time trigger) until its first micro-batch is
committed, then is killed with its whole process group (driver, JVM, Python workers).
After more files have landed, `kedro run -p battery_streaming` (availableNow) runs again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from mlflow.tracking import MlflowClient

from mlops_lab.battery.generator import land_files
from mlops_lab.battery.streaming import read_committed
from mlops_lab.registry import log_registered_model

FIRST_DAYS, MORE_DAYS, BAD_EVERY = 8, 6, 2


def _kedro(*params: str) -> list[str]:
    command = [sys.executable, "-m", "kedro", "run", "-p", "battery_streaming", "--env", "test"]
    return command + (["--params", ",".join(params)] if params else [])


def _committed_batches(table: Path) -> int:
    log = table / "_spark_metadata"
    return len([p for p in log.iterdir() if p.name.split(".")[0].isdigit()]) if log.is_dir() else 0


@pytest.mark.slow
@pytest.mark.integration  # two Python starts, a JVM and a kill: about two minutes
def test_killed_and_restarted_stream_scores_every_row_exactly_once(
    kedro_project: Path, series, tiny_lstm, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    with KedroSession.create(project_path=kedro_project, env="test") as session:
        session.load_context().catalog.save("daily_battery_time_series", series)
    mlflow.set_tracking_uri(f"sqlite:///{kedro_project / 'mlruns.db'}")
    version = log_registered_model(tiny_lstm, "battery-cycles-lstm")
    MlflowClient().set_registered_model_alias("battery-cycles-lstm", "champion", version)
    mlflow.set_tracking_uri(None)

    landing = kedro_project / "data/01_raw/battery/landing"
    forecasts = kedro_project / "data/07_model_output/battery/stream_forecasts"
    quarantine = kedro_project / "data/02_intermediate/battery/stream_quarantine"
    first = land_files(series, landing, FIRST_DAYS, bad_every=BAD_EVERY, seed=3)
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("MLFLOW_TRACKING_URI", None)
    log = (kedro_project / "logs/service.log").open("w")
    service = subprocess.Popen(
        _kedro(
            "battery_streaming_trigger=processing_time",
            "battery_streaming_interval=1 second",
            "battery_streaming_files_per_batch=2",
        ),
        cwd=kedro_project,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill reaches JVM and workers
    )
    started = time.monotonic()
    try:
        deadline = started + 180
        while _committed_batches(forecasts) < 1:
            assert service.poll() is None, (kedro_project / "logs/service.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no micro-batch committed within 180 s"
            time.sleep(0.2)
        committed_at_kill = _committed_batches(forecasts)
        service_seconds = time.monotonic() - started
    finally:
        os.killpg(service.pid, signal.SIGKILL)
        service.wait()
    assert service.returncode == -signal.SIGKILL
    scored_before = len(read_committed(forecasts))
    # Killed mid-way: not every landed file had been scored.
    assert committed_at_kill < FIRST_DAYS // 2
    assert scored_before < FIRST_DAYS * 2

    more = land_files(series, landing, MORE_DAYS, bad_every=BAD_EVERY, seed=3, skip_days=FIRST_DAYS)
    killed_at = time.monotonic()
    restart = subprocess.run(
        _kedro(), cwd=kedro_project, env=env, capture_output=True, text=True, timeout=400
    )
    restart_seconds = time.monotonic() - killed_at
    assert restart.returncode == 0, restart.stdout[-3000:] + restart.stderr[-3000:]

    landed = first + more
    scored = read_committed(forecasts)
    valid_rows = sum(f.valid_rows for f in landed)
    assert valid_rows == (FIRST_DAYS + MORE_DAYS) * 2
    assert len(scored) == valid_rows, (
        len(scored),
        scored_before,
        committed_at_kill,
        scored.groupby("source_file").size().to_dict(),
    )  # no loss, no duplicate
    assert not scored.duplicated(["Battery_ID", "Date"]).any()
    expected_days = {
        (battery, (day + pd.Timedelta(days=n)).date())
        for battery, day in series.groupby("Battery_ID")["Date"].max().items()
        for n in range(1, FIRST_DAYS + MORE_DAYS + 1)
    }
    assert set(zip(scored["Battery_ID"], scored["Date"], strict=True)) == expected_days
    assert (scored["model_version"] == version).all()
    assert scored["forecast"].map(len).eq(30).all()
    bad = sorted(kind for f in landed for kind in f.bad_rows)
    rejected = read_committed(quarantine)
    assert len(rejected) == len(bad) == (FIRST_DAYS + MORE_DAYS) // BAD_EVERY
    assert not rejected.duplicated(["source_file", "reason"]).any()
    print(
        f"exactly-once: {len(landed)} files, {valid_rows} valid rows, {len(bad)} bad rows; "
        f"killed after {committed_at_kill} committed micro-batch(es) holding {scored_before} "
        f"forecasts ({service_seconds:.0f} s after its start); after the restart "
        f"({restart_seconds:.0f} s) {len(scored)} forecasts, {len(rejected)} quarantined; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
