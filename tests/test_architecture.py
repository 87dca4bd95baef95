"""The project's structural contracts (ARCHITECTURE.md / STYLE.md), checked on every run."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PIPELINES_DIR = ROOT / "src" / "mlops_lab" / "pipelines"
PIPELINE_FOLDERS = sorted(p for p in PIPELINES_DIR.iterdir() if (p / "__init__.py").exists())
LAYERS = {
    "raw",
    "intermediate",
    "primary",
    "feature",
    "model_input",
    "models",
    "model_output",
    "reporting",
}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("folder", PIPELINE_FOLDERS, ids=lambda p: p.name)
def test_pipelines_never_import_each_other(folder: Path):
    for source in folder.rglob("*.py"):
        for module in _imported_modules(source):
            match = re.match(r"mlops_lab\.pipelines\.(\w+)", module)
            assert not match or match.group(1) == folder.name, (
                f"{source.relative_to(ROOT)} imports {module}: pipelines meet only through "
                "catalog entries; move shared code to a domain module beside pipelines/"
            )


@pytest.mark.parametrize("folder", PIPELINE_FOLDERS, ids=lambda p: p.name)
def test_pipeline_folder_layout(folder: Path, registered_pipelines: dict):
    for name in ("nodes.py", "pipeline.py", "README.md"):
        assert (folder / name).is_file(), f"{folder.name} lacks {name}"
    assert "create_pipeline" in (folder / "__init__.py").read_text()
    assert registered_pipelines[folder.name].nodes, f"{folder.name} has no nodes"


def test_every_catalog_entry_has_a_kedro_viz_layer():
    for path in sorted((ROOT / "conf" / "base").glob("catalog*.yml")):
        for name, entry in (yaml.safe_load(path.read_text()) or {}).items():
            if name.startswith("_"):
                continue
            layer = (entry.get("metadata") or {}).get("kedro-viz", {}).get("layer")
            assert layer in LAYERS, f"{path.name}: '{name}' has layer {layer!r}"


def test_nodes_take_named_parameters_and_have_snake_case_names(registered_pipelines: dict):
    for name, pipe in registered_pipelines.items():
        for node in pipe.nodes:
            assert "parameters" not in node.inputs, (
                f"{name}.{node.name} takes the whole parameters dict"
            )
            assert re.fullmatch(r"[a-z][a-z0-9_.]*", node.name), (name, node.name)


def test_layer_order_is_acyclic(registered_pipelines: dict):
    """kedro-viz silently hides every layer when their order has a cycle."""
    from graphlib import CycleError, TopologicalSorter

    from kedro.config import OmegaConfigLoader
    from kedro.io.catalog_config_resolver import CatalogConfigResolver

    from mlops_lab import settings

    loader = OmegaConfigLoader(
        conf_source=str(ROOT / "conf"), env="local", **settings.CONFIG_LOADER_ARGS
    )
    resolver = CatalogConfigResolver(loader["catalog"])

    def layer(name: str) -> str | None:
        config = resolver.resolve_pattern(name) if not name.startswith("params:") else {}
        return ((config or {}).get("metadata") or {}).get("kedro-viz", {}).get("layer")

    graph: dict[str, set[str]] = {}
    for pipe in registered_pipelines.values():
        for node in pipe.nodes:
            for output in map(layer, node.outputs):
                if output:
                    graph.setdefault(output, set()).update(
                        upstream
                        for upstream in map(layer, node.inputs)
                        if upstream and upstream != output  # within a layer is fine
                    )
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"layer order is circular: {error.args[1]}")
    assert order.index("raw") < order.index("model_input") < order.index("reporting")


LAYER_FOLDERS = {
    "raw": "01_raw",
    "intermediate": "02_intermediate",
    "primary": "03_primary",
    "feature": "04_feature",
    "model_input": "05_model_input",
    "models": "06_models",
    "model_output": "07_model_output",
    "reporting": "08_reporting",
}


def _catalog_entries():
    for path in sorted((ROOT / "conf" / "base").glob("catalog*.yml")):
        for name, entry in (yaml.safe_load(path.read_text()) or {}).items():
            if not name.startswith("_"):
                yield path.name, name, entry


def test_every_file_lives_in_the_folder_of_its_layer():
    for file, name, entry in _catalog_entries():
        layer = (entry.get("metadata") or {}).get("kedro-viz", {}).get("layer")
        nested = entry.get("dataset") if isinstance(entry.get("dataset"), dict) else {}
        filepath = entry.get("filepath") or entry.get("path") or nested.get("filepath")
        if filepath:
            assert f"/{LAYER_FOLDERS[layer]}/" in str(filepath), (
                f"{file}: '{name}' has layer {layer!r} but its file is {filepath}"
            )


def test_every_model_is_registered_by_the_one_mechanism():
    registering = [
        (file, name)
        for file, name, entry in _catalog_entries()
        if "MlflowModel" in str(entry.get("type")) or "registered_model_name" in str(entry)
    ]
    assert not registering, f"register models with mlops_lab.registry: {registering}"
    sources = "\n".join(p.read_text() for p in (ROOT / "src").rglob("*.py"))
    assert "register_pickle_by_value" not in sources
    assert "log_model(" in (ROOT / "src/mlops_lab/registry.py").read_text()
    assert sources.count(".log_model(") == 1, "only mlops_lab.registry logs models"


def test_no_parameter_repeats_a_catalog_path():
    for path in sorted((ROOT / "conf").glob("*/parameters*.yml")):
        text = path.read_text()
        assert "${globals:data_root}" not in text and not re.search(
            r"\b\w+\.(csv|parquet|json|keras|pkl)\b", text
        ), f"{path.relative_to(ROOT)}: a file path in parameters (the catalog owns paths)"


def test_every_pipeline_is_defined_in_one_style():
    for folder in PIPELINE_FOLDERS:
        source = (folder / "pipeline.py").read_text()
        imported = {
            alias.name
            for statement in ast.walk(ast.parse(source))
            if isinstance(statement, ast.ImportFrom) and statement.module == "kedro.pipeline"
            for alias in statement.names
        }
        assert imported <= {"Node", "Pipeline"}, f"{folder.name}: imports {imported}"
        assert f"from mlops_lab.pipelines.{folder.name} import nodes" in source, folder.name


def test_node_names_are_unique_across_the_project(registered_pipelines: dict):
    owner: dict[str, str] = {}
    for name, pipe in registered_pipelines.items():
        if name == "__default__":
            continue
        for node in pipe.nodes:
            assert owner.setdefault(node.name, name) == name, (
                f"node '{node.name}' is in both {owner[node.name]} and {name}"
            )


def test_every_training_pipeline_ends_in_the_promotion_gate(registered_pipelines: dict):
    from mlops_lab.promotion import decide_promotion

    # Every pipeline that registers a model (saves a *_challenger) ends in the gate.
    trainers = {
        name
        for name, pipeline in registered_pipelines.items()
        if name != "__default__" and any(o.endswith("_challenger") for o in pipeline.all_outputs())
    }
    assert {"particle_classification", "battery_forecasting", "component_compliance"} <= trainers
    assert {"battery_deep_forecasting", "maintenance_training"} <= trainers
    for training in sorted(trainers):
        gates = [n for n in registered_pipelines[training].nodes if n.func is decide_promotion]
        assert len(gates) == 1, f"{training} has {len(gates)} promotion gates"
        (gate,) = gates
        challenger, incumbent = gate.inputs[:2]
        assert challenger.endswith("_challenger") and incumbent.endswith("_incumbent")
        assert [o.rsplit("_", 1)[-1] for o in gate.outputs] == ["promotion", "report"]
