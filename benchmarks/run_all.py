"""All the project's speed and memory figures in one run (``make bench``).

Prints, on a throw-away copy of the project (the working copy's ``data/`` and
``mlruns.db`` are never touched):

1. the default ``kedro run``: wall time and peak memory in total, and the time of every
   pipeline, of each registered model's training and of the slowest nodes within that
   one run;
2. every pipeline of the default run on its own (``kedro run -p NAME``, each a fresh
   process after the previous ones): wall time and peak memory;
3. inference throughput of every registered model (``@champion``) on its input example;
4. a scale curve: aerosol years and battery fleet sizes, wall time, time in nodes and peak
   memory of the simulation, data and training pipelines at each size, with the growth
   factor per doubling of the input (2.0 = linear, computed on the time in nodes, which
   leaves out the fixed start-up of each process).

Each figure is printed with the machine's load average, since a busy machine inflates it.

    .venv/bin/python benchmarks/run_all.py                 # everything
    .venv/bin/python benchmarks/run_all.py --quick         # scale curve on the two smallest sizes
    .venv/bin/python benchmarks/run_all.py --skip-scale
    .venv/bin/python benchmarks/run_all.py --skip-per-pipeline --lanes battery
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from benchmarks.runtime_params import runtime_params  # noqa: E402
from kedro.framework.hooks import hook_impl  # noqa: E402
from tests.conftest import copy_project  # noqa: E402  (one definition of "a clean clone")

MODELS = (  # every registered model's catalog prefix (``<prefix>_champion``)
    "aerosol_event_classifier",
    "battery_cycles",
    "battery_cycles_lstm",
    "component_compliance",
    "car_maintenance",
)
# The nodes that fit each registered model (and the candidates it was chosen from).
TRAINING_NODES = {
    "aerosol-event-classifier": ("train_cnn", "train_baselines"),
    "battery-cycles": ("search_forecasters", "add_ensemble", "train_final_model"),
    "battery-cycles-lstm": ("train_battery_lstm",),
    "component-compliance": (
        "fit_text_vectoriser",
        "train_compliance_classifier",
        "calibrate_compliance_model",
        "fit_tfidf_classifier",
        "calibrate_tfidf_classifier",
    ),
    "car-maintenance": ("fit_maintenance_candidates", "choose_maintenance_thresholds"),
}
SCALE_LANES = {
    # lane: (pipelines, parameter for the size, size -> parameter value, unit)
    "aerosol": (
        ("aerosol_simulation", "aerosol_data", "particle_classification"),
        "aerosol_simulation.years.last",
        lambda years: 2004 + years - 1,
        "years",
    ),
    "battery": (
        ("battery_simulation", "battery_data", "battery_forecasting"),
        "battery_simulation.fleet.n_batteries",
        lambda batteries: batteries,
        "batteries",
    ),
}


# ------------------------------------------------------------------ child process side
class NodeTimer:
    """A Kedro hook that records each node's wall time, loading and saving included."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.ended: dict[str, float] = {}

    def _start(self, node) -> None:
        self.started.setdefault(node.name, time.perf_counter())

    def _end(self, node) -> None:
        self.ended[node.name] = time.perf_counter()

    @hook_impl
    def before_dataset_loaded(self, node) -> None:
        self._start(node)

    @hook_impl
    def before_node_run(self, node) -> None:
        self._start(node)

    @hook_impl
    def after_node_run(self, node) -> None:
        self._end(node)

    @hook_impl
    def after_dataset_saved(self, node) -> None:
        self._end(node)

    @property
    def seconds(self) -> dict[str, float]:
        return {name: self.ended[name] - start for name, start in self.started.items()}


def child_run(project: Path, pipelines: list[str], params: dict, output: Path) -> None:
    """Run ``pipelines`` in one Kedro session; write node times to ``output``."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    timer = NodeTimer()
    os.chdir(project)
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=params or None) as session:
        session._hook_manager.register(timer)
        session.run(pipeline_names=pipelines)
    output.write_text(json.dumps(timer.seconds))


def child_inference(project: Path, output: Path, repeats: int) -> None:
    """Time ``predict`` of each registered champion on its own input example."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.chdir(project)
    bootstrap_project(project)
    results = {}
    with KedroSession.create(project_path=project) as session:
        catalog = session.load_context().catalog
        for name in MODELS:
            entry = f"{name}_champion"
            if entry not in catalog:
                results[name] = {"error": f"no catalog entry {entry}"}
                continue
            started = time.perf_counter()
            model = catalog.load(entry)
            load_seconds = time.perf_counter() - started
            example = model.python_model.input_example
            model.predict(example)  # warm-up (graph tracing, caches)
            timings = []
            for _ in range(repeats):
                started = time.perf_counter()
                model.predict(example)
                timings.append(time.perf_counter() - started)
            timings.sort()
            median = timings[len(timings) // 2]
            results[name] = {
                "version": model.version,
                "load_seconds": load_seconds,
                "rows_per_call": len(example),
                "median_call_seconds": median,
                "rows_per_second": len(example) / median,
            }
    output.write_text(json.dumps(results))


# ------------------------------------------------------------------ parent side
@dataclass
class Measured:
    """Wall time and peak resident memory of one child process."""

    seconds: float
    peak_mb: float
    nodes: dict[str, float]


def measure(project: Path, *arguments: str) -> Measured:
    """Run this script as a child with ``arguments``; its wall time and peak memory."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        output = Path(handle.name)
    command = [sys.executable, __file__, "--child", str(project), str(output), *arguments]
    logs = project / "logs"
    logs.mkdir(exist_ok=True)
    log = logs / ("bench-" + "-".join(arguments).replace("/", "_").replace("=", "-") + ".log")
    started = time.perf_counter()
    with log.open("w") as handle:  # Kedro's own progress goes to the log, figures to stdout
        process = subprocess.Popen(command, cwd=project, stdout=handle, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(arguments)} (see {log})")
    text = output.read_text() or "{}"
    output.unlink(missing_ok=True)
    return Measured(seconds, usage.ru_maxrss / 1024, json.loads(text))


def fresh_project(parent: Path, name: str) -> Path:
    return copy_project(parent / name)


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} / {five:.2f} / {fifteen:.2f} on {os.cpu_count()} cores"


def pipelines_by_node() -> tuple[dict[str, str], list[str]]:
    """Node -> pipeline of the default run, and its pipelines in an order they can run alone.

    A pipeline comes after every pipeline whose outputs it reads.
    """
    from graphlib import TopologicalSorter

    from kedro.framework.project import pipelines
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(PROJECT_ROOT)
    default = pipelines["__default__"]
    members = {
        name: pipeline
        for name, pipeline in pipelines.items()
        if name != "__default__" and set(pipeline.nodes) <= set(default.nodes)
    }
    owner = {node.name: name for name, pipeline in members.items() for node in pipeline.nodes}
    needs = {
        name: {
            other
            for other, upstream in members.items()
            if other != name and upstream.all_outputs() & pipeline.inputs()
        }
        for name, pipeline in members.items()
    }
    return owner, list(TopologicalSorter(needs).static_order())


def _latest_json(project: Path, relative: str) -> dict:
    """The newest version of a (possibly versioned) JSON output of a project copy."""
    path = project / "data" / relative
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    return json.loads(files[-1].read_text()) if files and files[-1].is_file() else {}


def what_was_done(project: Path, lane: str) -> str:
    """The work behind a training time that does not grow with the data, and why.

    Early stopping (aerosol CNN epochs) and the search's exit criteria (battery
    configurations evaluated) bound the training work by design, so its time can stay
    flat while the data grows; this line says how much was done at each size.
    """
    if lane == "aerosol":
        history = _latest_json(project, "06_models/aerosol/cnn_history.json")
        epochs = [len(member["loss"]) for member in history.get("members", [])]
        return f"CNN epochs per member {epochs} (early stopping)"
    summary = _latest_json(project, "08_reporting/battery/search_summary.json")
    return (
        f"search: {summary.get('configurations_evaluated')} of "
        f"{summary.get('configurations_planned')} configurations in "
        f"{summary.get('wall_time_s', float('nan')):.1f} s; {summary.get('stop_reason')}"
    )


def growth_per_doubling(sizes: list[int], values: list[float]) -> list[str]:
    """(v2 / v1) ** (1 / log2(n2 / n1)) between consecutive sizes: 2.0 means linear."""
    return [
        f"{(values[i + 1] / values[i]) ** (1 / math.log2(sizes[i + 1] / sizes[i])):.2f}"
        for i in range(len(sizes) - 1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two smallest scale sizes only")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-per-pipeline", action="store_true")
    parser.add_argument("--aerosol-years", type=int, nargs="+", default=[2, 5, 11])
    parser.add_argument("--fleet-sizes", type=int, nargs="+", default=[20, 200, 2000])
    parser.add_argument("--lanes", nargs="+", choices=sorted(SCALE_LANES), default=None)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--keep", type=Path, help="keep the project copies here")
    parser.add_argument(
        "--default-project",
        type=Path,
        help="a project copy of an earlier benchmark's default run: reuse it, skip step 1",
    )
    args = parser.parse_args()

    workdir = args.keep or Path(tempfile.mkdtemp(prefix="mlops-lab-bench-"))
    owner, order = pipelines_by_node()
    print(f"== mlops-lab benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {load()}")

    # 1. The default run, one process.
    if args.default_project:
        default = args.default_project
    else:
        default = fresh_project(workdir, "default")
        total = measure(default, "run", "__default__")
        per_pipeline = defaultdict(float)
        for node, seconds in total.nodes.items():
            per_pipeline[owner.get(node, "?")] += seconds
        print(f"\n-- default `kedro run`: {total.seconds:.1f} s wall, {total.peak_mb:.0f} MB peak")
        print(f"   ({load()})")
        print(f"   {'pipeline':28s} {'time (s)':>14s}  (its nodes, loading and saving included)")
        for name in order:
            print(f"   {name:28s} {per_pipeline[name]:14.1f}")
        print("   training time of each registered model (its fitting nodes):")
        for model, nodes in TRAINING_NODES.items():
            parts = ", ".join(f"{n} {total.nodes.get(n, float('nan')):.1f} s" for n in nodes)
            seconds = sum(total.nodes.get(n, 0.0) for n in nodes)
            print(f"   {model:28s} {seconds:6.1f} s  ({parts})")
        print("   slowest nodes:")
        for node, seconds in sorted(total.nodes.items(), key=lambda kv: -kv[1])[:8]:
            print(f"   {node:44s} {seconds:7.1f} s  ({owner.get(node, '?')})")

    # 2. Each pipeline on its own.
    if not args.skip_per_pipeline:
        alone = fresh_project(workdir, "per-pipeline")
        print("\n-- each pipeline alone (`kedro run -p NAME`, start-up included)")
        print(f"   {'pipeline':28s} {'wall (s)':>9s} {'peak (MB)':>10s}")
        for name in order:
            measured = measure(alone, "run", name)
            print(f"   {name:28s} {measured.seconds:9.1f} {measured.peak_mb:10.0f}")
        print(f"   ({load()})")

    # 3. Inference throughput of the champions of the default run.
    inference = measure(default, "inference", str(args.repeats))
    print("\n-- inference throughput of each @champion on its input example")
    for name, figures in inference.nodes.items():
        if "error" in figures:
            print(f"   {name:28s} {figures['error']}")
            continue
        print(
            f"   {name:28s} v{figures['version']}: load {figures['load_seconds']:.2f} s, "
            f"{figures['rows_per_call']} rows in {figures['median_call_seconds'] * 1000:.1f} ms "
            f"(median of {args.repeats}) = {figures['rows_per_second']:.0f} rows/s"
        )

    # 4. Scale curves.
    if not args.skip_scale:
        sizes = {
            "aerosol": args.aerosol_years[:2] if args.quick else args.aerosol_years,
            "battery": args.fleet_sizes[:2] if args.quick else args.fleet_sizes,
        }
        for lane, (pipelines, parameter, value_of, unit) in SCALE_LANES.items():
            if args.lanes and lane not in args.lanes:
                continue
            print(f"\n-- scale: {lane} ({parameter})")
            rows: dict[str, list[Measured]] = defaultdict(list)
            for size in sizes[lane]:
                project = fresh_project(workdir, f"scale-{lane}-{size}")
                for name in pipelines:
                    measured = measure(project, "run", name, f"{parameter}={value_of(size)}")
                    rows[name].append(measured)
                    print(
                        f"   {size:6d} {unit:9s} {name:26s} {measured.seconds:8.1f} s wall "
                        f"{sum(measured.nodes.values()):8.1f} s in nodes "
                        f"{measured.peak_mb:8.0f} MB   ({load()})"
                    )
                print(f"   {'':16s} {what_was_done(project, lane)}")
            for name in pipelines:
                # Growth of the pipeline's own work: node time, without the fixed start-up
                # (imports, session) that would make every small size look sub-linear.
                seconds = [sum(m.nodes.values()) for m in rows[name]]
                memory = [m.peak_mb for m in rows[name]]
                print(
                    f"   growth per doubling of {unit}, {name}: node time "
                    f"{', '.join(growth_per_doubling(sizes[lane], seconds))}; peak memory "
                    f"{', '.join(growth_per_doubling(sizes[lane], memory))} (2.00 = linear)"
                )
    print(f"\n== done, {load()}; project copies in {workdir}")


def child_main(argv: list[str]) -> None:
    project, output, mode, *rest = argv
    if mode == "run":
        name, *assignments = rest
        child_run(Path(project), [name], runtime_params(",".join(assignments)), Path(output))
    elif mode == "inference":
        child_inference(Path(project), Path(output), int(rest[0]))
    else:
        raise SystemExit(f"unknown child mode {mode}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        main()
