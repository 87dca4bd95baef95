"""The one way the project registers, promotes and loads models (MLflow model registry).

Every registered model is an :class:`mlflow.pyfunc.PythonModel` that takes raw records and
includes its preprocessing. Three catalog datasets cover its life cycle:

- :class:`RegisteredModelDataset` -- saving logs the model to the active run (signature
  and input example from the model, pip requirements derived from what the model
  imports and pickles, only the project code it imports) and registers a new version,
  which gets the alias ``challenger``. Loading returns a :class:`RegisteredModel` for an
  alias (``champion`` by default) or a version number.
- :class:`ChampionAliasDataset` -- saving a promotion decision (see
  :func:`mlops_lab.promotion.decide_promotion`) moves ``champion`` to the challenger when
  the decision says so, and writes the decision and both scores onto the version's tags
  (so the scores that justified a version travel with it, whichever run made it).

    battery_cycles_model:               # training pipeline: registers, loads @challenger
      type: mlops_lab.registry.RegisteredModelDataset
      model_name: battery-cycles
      reference: challenger
    battery_cycles_champion:            # inference: @champion unless the run names another
      type: mlops_lab.registry.RegisteredModelDataset
      model_name: battery-cycles
      reference: ${runtime_params:battery_cycles_model, champion}
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import logging
import pickle
import shutil
import sys
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import packages_distributions
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, Protocol

import cloudpickle
import mlflow
import mlflow.pyfunc
import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.tracking import MlflowClient

logger = logging.getLogger(__name__)

PACKAGE = "mlops_lab"
CHALLENGER = "challenger"
CHAMPION = "champion"
# Always needed to load a pyfunc, whatever the model imports.
BASE_REQUIREMENTS = ("mlflow", "cloudpickle")

PythonModel = mlflow.pyfunc.PythonModel


class RegistrableModel(Protocol):
    """What a model needs to be registered: an input example and a signature."""

    input_example: pd.DataFrame

    def signature(self) -> ModelSignature: ...

    def predict(self, context: Any, model_input: Any, params: dict | None = None) -> Any: ...


@dataclass(frozen=True)
class RegisteredModel:
    """A loaded registered model version: what it is, and the model itself."""

    name: str
    version: str
    run_id: str | None
    aliases: tuple[str, ...]
    python_model: Any = field(repr=False)

    @property
    def reference(self) -> str:
        """``name@alias`` when loaded by an alias it holds, else ``name/version``."""
        return f"{self.name}@{self.aliases[0]}" if self.aliases else f"{self.name}/{self.version}"

    def predict(self, model_input: Any, params: dict | None = None) -> Any:
        """Predict with the Python model, as the pyfunc server would."""
        return self.python_model.predict(None, model_input, params)


# ------------------------------------------------------------------ what a model needs
def _module_file(module: str) -> Path | None:
    """The source file of a module, or None for a name that is not a module."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, AttributeError, ValueError):  # e.g. `package.module.CONSTANT`
        return None
    return Path(spec.origin) if spec and spec.origin and spec.origin.endswith(".py") else None


def _imports_of(path: Path, module: str) -> set[str]:
    """Absolute names of the modules ``path`` (the source of ``module``) imports."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for statement in ast.walk(tree):
        if isinstance(statement, ast.Import):
            names.update(alias.name for alias in statement.names)
        elif isinstance(statement, ast.ImportFrom):
            if statement.level:
                base = package.split(".")
                base = base[: len(base) - statement.level + 1]
                prefix = ".".join(base)
                target = f"{prefix}.{statement.module}" if statement.module else prefix
            else:
                target = statement.module or ""
            names.add(target)
            # `from mlops_lab.battery import schema` imports a submodule.
            names.update(f"{target}.{alias.name}" for alias in statement.names)
    return names


def code_closure(modules: Iterable[str]) -> tuple[set[str], set[str]]:
    """The project modules ``modules`` need (transitively) and the other top-level imports.

    Returns:
        ``(project_modules, third_party_top_level_names)``.
    """
    project: set[str] = set()
    third_party: set[str] = set()
    pending = list(modules)
    while pending:
        module = pending.pop()
        top = module.split(".")[0]
        if top != PACKAGE:
            if top and top not in sys.stdlib_module_names:
                third_party.add(top)
            continue
        if module in project:
            continue
        path = _module_file(module)
        if path is None:
            continue
        project.add(module)
        parts = module.split(".")
        pending.extend(".".join(parts[:i]) for i in range(1, len(parts)))  # parent packages
        pending.extend(_imports_of(path, module))
    return project, third_party


def pickled_modules(model: Any) -> set[str]:
    """Top-level modules whose classes or functions the pickled model refers to."""
    found: set[str] = set()

    class Recorder(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            found.add(module.split(".")[0])
            return super().find_class(module, name)

    Recorder(io.BytesIO(cloudpickle.dumps(model))).load()
    return found


def derived_requirements(top_level_modules: Iterable[str]) -> list[str]:
    """``distribution==version`` for the installed distributions that provide the modules."""
    providers = packages_distributions()
    distributions = set(BASE_REQUIREMENTS)
    for module in top_level_modules:
        if module == PACKAGE or module in sys.stdlib_module_names:
            continue
        distributions.update(providers.get(module, []))
    # mlflow's modules are provided by mlflow and its skinny/tracing parts: pin mlflow.
    distributions = {d for d in distributions if not d.lower().startswith("mlflow-")}
    if "keras" in distributions:  # Keras needs the backend it was trained with
        import keras

        distributions.add(keras.backend.backend().replace("jax", "jax[cpu]"))
    pinned = []
    for name in sorted(distributions, key=str.lower):
        try:
            pinned.append(f"{name}=={installed_version(name)}")
        except Exception:  # a module provided by no installed distribution
            continue
    return pinned


def stage_code(project_modules: Iterable[str], destination: Path) -> Path:
    """Copy only the project modules the model needs to ``destination/mlops_lab``."""
    root = Path(importlib.util.find_spec(PACKAGE).origin).parent
    target = destination / PACKAGE
    for module in sorted(project_modules):
        source = _module_file(module)
        copy = target / source.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
    for folder in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        (folder / "__init__.py").touch(exist_ok=True)
    return target


def log_registered_model(
    model: RegistrableModel, model_name: str, artifact_path: str = "model"
) -> str:
    """Log ``model`` to the active run, register a new version and alias it ``challenger``.

    The one registration mechanism of the project. Signature and input example come
    from the model; requirements are derived from what its code imports and what its
    pickle refers to, pinned to the installed versions; the artifact carries only the
    project modules the model's class imports.

    Returns:
        The new version number (as a string).
    """
    for attribute in ("input_example", "signature"):
        if not hasattr(model, attribute):
            raise DatasetError(
                f"Model for '{model_name}' ({type(model).__name__}) has no '{attribute}': "
                "every registered model provides an input example and a signature()."
            )
    module = type(model).__module__
    project, third_party = code_closure([module])
    requirements = derived_requirements(third_party | pickled_modules(model))
    active = mlflow.active_run()
    with tempfile.TemporaryDirectory() as staging:
        code = [str(stage_code(project, Path(staging)))] if project else None
        with mlflow.start_run() if active is None else contextlib.nullcontext():
            info = mlflow.pyfunc.log_model(
                name=artifact_path,
                python_model=model,
                registered_model_name=model_name,
                signature=model.signature(),
                input_example=model.input_example,
                pip_requirements=requirements,
                code_paths=code,
            )
    version = str(info.registered_model_version)
    client = MlflowClient()
    client.set_registered_model_alias(model_name, CHALLENGER, version)
    logger.info(
        "Registered %s version %s as @%s (%d project modules, requirements: %s)",
        model_name,
        version,
        CHALLENGER,
        len(project),
        ", ".join(requirements),
    )
    return version


def resolve_version(model_name: str, reference: str | int) -> Any:
    """The registry's ModelVersion for an alias or a version number.

    Raises:
        DatasetError: naming the model and the alias or version that does not exist.
    """
    client = MlflowClient()
    text = str(reference).strip()
    try:
        if text.isdigit():
            return client.get_model_version(model_name, text)
        return client.get_model_version_by_alias(model_name, text)
    except MlflowException as error:
        raise DatasetError(
            f"Registered model '{model_name}' has no {'version' if text.isdigit() else 'alias'} "
            f"'{text}' ({error.error_code}). Train it first (kedro run) or name an existing "
            "alias or version."
        ) from None


def load_registered_model(model_name: str, reference: str | int) -> RegisteredModel:
    """Load a registered model by alias (``champion``) or version number."""
    model_version = resolve_version(model_name, reference)
    text = str(reference).strip()
    # The version the alias pointed to when resolved: an alias moved meanwhile cannot make
    # the loaded model and its reported version differ.
    uri = f"models:/{model_name}/{model_version.version}"
    search_path = list(sys.path)
    try:
        pyfunc = mlflow.pyfunc.load_model(uri)
    finally:
        # MLflow puts the model's code copy first on sys.path; processes started later
        # (joblib workers) would import the project from that partial copy.
        sys.path[:] = search_path
    aliases = tuple(model_version.aliases or ())
    if not text.isdigit():  # the alias it was loaded by first
        aliases = (text, *(a for a in aliases if a != text))
    return RegisteredModel(
        name=model_name,
        version=str(model_version.version),
        run_id=model_version.run_id,
        aliases=aliases,
        python_model=pyfunc.unwrap_python_model(),
    )


class RegisteredModelDataset(AbstractDataset[RegistrableModel, "RegisteredModel | None"]):
    """Register a pyfunc model (saving) or load a registered version (loading).

    Args:
        model_name: Registered model name (``battery-cycles``, ...).
        reference: What loading returns: an alias (``champion``, ``challenger``) or a
            version number. Inference entries take it from a runtime parameter.
        missing_ok: Load ``None`` when the alias or version does not exist (the
            promotion gate's view of a champion that is not there yet).
        artifact_path: Name of the model in the run's artifacts.
        metadata: Kedro-viz and other metadata.
    """

    def __init__(
        self,
        model_name: str,
        reference: str | int = CHAMPION,
        missing_ok: bool = False,
        artifact_path: str = "model",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._model_name = model_name
        self._reference = str(reference)
        self._missing_ok = missing_ok
        self._artifact_path = artifact_path
        self.metadata = metadata

    def _save(self, model: RegistrableModel) -> None:
        log_registered_model(model, self._model_name, self._artifact_path)

    def _load(self) -> RegisteredModel | None:
        try:
            return load_registered_model(self._model_name, self._reference)
        except DatasetError:  # raised only for an alias or version that does not exist
            if not self._missing_ok:
                raise
            logger.info("%s has no %s yet", self._model_name, self._reference)
            return None

    def _exists(self) -> bool:
        try:
            resolve_version(self._model_name, self._reference)
        except DatasetError:
            return False
        return True

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self._model_name, "reference": self._reference}


class ChampionAliasDataset(AbstractDataset[Mapping[str, Any], dict[str, Any]]):
    """Apply a promotion decision: move ``champion`` and tag the challenger version.

    Saving takes the decision of :func:`mlops_lab.promotion.decide_promotion`. The
    challenger version always gets the tags ``promotion.*`` (decision, metric, both
    scores, the champion it was compared with); ``champion`` moves only when
    ``decision["promoted"]`` is true. The decision is also logged to the active run.
    Loading returns the current champion's version and tags.

    Args:
        model_name: Registered model name.
        metadata: Kedro-viz and other metadata.
    """

    def __init__(self, model_name: str, metadata: dict[str, Any] | None = None) -> None:
        self._model_name = model_name
        self.metadata = metadata

    def _save(self, decision: Mapping[str, Any]) -> None:
        if decision.get("model_name") != self._model_name:
            raise DatasetError(
                f"Promotion decision is for '{decision.get('model_name')}', this dataset "
                f"moves the champion of '{self._model_name}'."
            )
        client = MlflowClient()
        version = str(decision["challenger"]["version"])
        for key, value in version_tags(decision).items():
            client.set_model_version_tag(self._model_name, version, key, value)
        if decision["promoted"]:
            client.set_registered_model_alias(self._model_name, CHAMPION, version)
            logger.info("%s version %s is now @%s", self._model_name, version, CHAMPION)
        else:
            logger.warning(
                "%s version %s stays @%s: %s",
                self._model_name,
                version,
                CHALLENGER,
                decision["reason"],
            )
        if mlflow.active_run() is not None:
            mlflow.log_dict(dict(decision), f"promotion/{self._model_name}.json")

    def _load(self) -> dict[str, Any]:
        model_version = resolve_version(self._model_name, CHAMPION)
        return {"version": str(model_version.version), "tags": dict(model_version.tags)}

    def _describe(self) -> dict[str, Any]:
        return {"model_name": self._model_name}


def version_tags(decision: Mapping[str, Any]) -> dict[str, str]:
    """The ``promotion.*`` tags written on the challenger version."""
    champion = decision.get("champion") or {}
    tags = {
        "promotion.decision": "promoted" if decision["promoted"] else "kept_challenger",
        "promotion.reason": str(decision["reason"])[:5000],
        "promotion.metric": str(decision["metric"]),
        "promotion.greater_is_better": str(decision["greater_is_better"]).lower(),
        "promotion.challenger_score": repr(decision["challenger"]["score"]),
        "promotion.champion_version": str(champion.get("version", "none")),
        "promotion.champion_score": repr(champion.get("score")),
        "promotion.data": str(decision.get("data", "")),
    }
    for name, value in (decision["challenger"].get("metrics") or {}).items():
        tags[f"metric.{name}"] = repr(value)
    return tags
