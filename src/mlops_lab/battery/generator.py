"""Drop battery telemetry files into a landing folder at a chosen rate (demos, tests, benchmark).

Each file holds one day of every battery, in the raw telemetry format (daily entries),
continuing each battery's series after its last day in ``daily_battery_time_series``:
the trip duration of the same weekday four weeks before (with noise), cycles at the
battery's recent cycles per minute, age, trips and lifetime cycles carried on. Bad rows
can be mixed in (one of each kind in turn: unknown battery, bad date, NaN, negative
duration, an extra column), so that the quarantine has something to catch.

Files are written under a hidden name and renamed into place, so the stream never reads
a half-written file. Command line (the series from the project's catalog)::

    python -m mlops_lab.battery.generator --days 30 --interval 2 --bad-every 5
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mlops_lab.battery.schema import (
    AGE,
    BATTERY_ID,
    CYCLES,
    DATE,
    DURATION,
    LIFETIME,
    RATED,
    TELEMETRY_COLUMNS,
    TRIPS,
)

BAD_KINDS = ("unknown battery", "bad date", "NaN duration", "negative duration", "extra column")


@dataclass(frozen=True)
class LandedFile:
    """A file dropped in the landing folder: its path and what it holds."""

    path: Path
    valid_rows: int
    bad_rows: tuple[str, ...]


def next_days(series: pd.DataFrame, days: int, seed: int) -> Iterator[pd.DataFrame]:
    """The next ``days`` days of every battery of ``series``, one frame (raw format) a day."""
    rng = np.random.default_rng(seed)
    history = {b: g.sort_values(DATE).reset_index(drop=True) for b, g in series.groupby(BATTERY_ID)}
    last = {b: g.iloc[-1].to_dict() for b, g in history.items()}
    rate = {
        b: float(g[CYCLES].tail(28).sum() / max(g[DURATION].tail(28).sum(), 1e-9))
        for b, g in history.items()
    }
    durations = {b: list(g[DURATION].tail(28)) for b, g in history.items()}
    for _ in range(days):
        rows = []
        for battery_id, previous in last.items():
            duration = max(0.0, durations[battery_id][-28] * rng.normal(1.0, 0.08))
            cycles = rate[battery_id] * duration * rng.normal(1.0, 0.03)
            row = {
                DATE: pd.Timestamp(previous[DATE]) + pd.Timedelta(days=1),
                BATTERY_ID: int(battery_id),
                AGE: float(previous[AGE]) + 1,
                TRIPS: float(max(1, round(duration / 12))),
                DURATION: duration,
                CYCLES: cycles,
                LIFETIME: float(previous[LIFETIME]) + cycles,
                RATED: float(previous[RATED]),
            }
            durations[battery_id].append(duration)
            last[battery_id] = row
            rows.append(row)
        yield pd.DataFrame(rows, columns=TELEMETRY_COLUMNS)


def bad_row(kind: str, template: pd.Series) -> list[str]:
    """One raw CSV line's values of the given bad kind, made from a valid row."""
    values = [_text(template[c]) for c in TELEMETRY_COLUMNS]
    if kind == "unknown battery":
        values[1] = "999999"
    elif kind == "bad date":
        values[0] = "2019-02-30 00:00:00"
    elif kind == "NaN duration":
        values[TELEMETRY_COLUMNS.index(DURATION)] = "NaN"
    elif kind == "negative duration":
        values[TELEMETRY_COLUMNS.index(DURATION)] = "-12.5"
    elif kind == "extra column":
        values.append("1.0")
    else:
        raise ValueError(f"Unknown bad-row kind {kind!r}; expected one of {BAD_KINDS}.")
    return values


def _text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def write_file(landing: Path, name: str, day: pd.DataFrame, bad: list[list[str]]) -> Path:
    """Write ``day`` (and bad lines) as ``landing/name`` atomically (hidden, then renamed)."""
    landing.mkdir(parents=True, exist_ok=True)
    lines = [",".join(TELEMETRY_COLUMNS)]
    lines += [",".join(_text(v) for v in row) for row in day.itertuples(index=False)]
    lines += [",".join(values) for values in bad]
    hidden = landing / f".{name}.tmp"
    hidden.write_text("\n".join(lines) + "\n")
    target = landing / name
    os.replace(hidden, target)
    return target


def land_files(
    series: pd.DataFrame,
    landing: Path,
    days: int,
    interval_s: float = 0.0,
    bad_every: int = 0,
    seed: int = 0,
    skip_days: int = 0,
) -> list[LandedFile]:
    """Drop ``days`` daily files, one every ``interval_s`` seconds.

    Args:
        series: The daily series to continue.
        landing: The landing folder.
        days: Files (days) to write.
        interval_s: Seconds between files (0: as fast as possible).
        bad_every: Every ``bad_every``-th file gets one bad row (0: none), kinds in turn.
        seed: Seed of the values.
        skip_days: Days already landed by an earlier call with the same seed (they are
            generated again but not written, so that a second call continues the first).
    """
    landed = []
    for number, day in enumerate(next_days(series, skip_days + days, seed), start=1):
        if number <= skip_days:
            continue
        bad = []
        if bad_every and number % bad_every == 0:
            kind = BAD_KINDS[(number // bad_every - 1) % len(BAD_KINDS)]
            bad.append((kind, bad_row(kind, day.iloc[0])))
        # Batteries end on different dates: files are numbered by day of the stream.
        name = f"telemetry_day{number:05d}.csv"
        path = write_file(landing, name, day, [values for _, values in bad])
        landed.append(LandedFile(path, len(day), tuple(kind for kind, _ in bad)))
        if interval_s and number < skip_days + days:
            time.sleep(interval_s)
    return landed


def main(argv: list[str] | None = None) -> None:
    """Land files continuing ``daily_battery_time_series`` of the project in the cwd."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=30, help="files (days) to land")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between files")
    parser.add_argument(
        "--bad-every", type=int, default=5, help="one bad row every N files (0: none)"
    )
    parser.add_argument("--skip-days", type=int, default=0, help="days an earlier call landed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--env", default=None, help="Kedro environment")
    args = parser.parse_args(argv)

    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    project = Path.cwd()
    bootstrap_project(project)
    with KedroSession.create(project_path=project, env=args.env) as session:
        catalog = session.load_context().catalog
        series = catalog.load("daily_battery_time_series")
        landing = Path(str(catalog.get("battery_telemetry_landing")._filepath))
    for landed in land_files(
        series, landing, args.days, args.interval, args.bad_every, args.seed, args.skip_days
    ):
        print(landed.path, landed.valid_rows, "valid rows", *landed.bad_rows, flush=True)


if __name__ == "__main__":
    main()
