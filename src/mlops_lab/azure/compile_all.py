"""Compile every registered pipeline into an Azure ML pipeline-job YAML, offline.

This is ``kedro azureml compile`` for all pipelines at once, in one Kedro session, with the
generator ``kedro azureml`` uses (:mod:`mlops_lab.azure.generator`: the plugin's, plus an
environment and a node count per compute): one ``<pipeline>.yaml`` per pipeline. It needs
no Azure access.

    python -m mlops_lab.azure.compile_all --env azureml --output-dir azureml_compiled
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from kedro.framework.project import pipelines
from kedro.framework.startup import bootstrap_project
from kedro_azureml.manager import KedroContextManager

from mlops_lab.azure.generator import bound_to

logger = logging.getLogger(__name__)


def compile_pipelines(
    project_path: Path,
    env: str,
    output_dir: Path,
    names: list[str] | None = None,
) -> dict[str, Path]:
    """Write ``<output_dir>/<pipeline>.yaml`` for each pipeline and return the paths.

    Args:
        project_path: Root of the Kedro project.
        env: Kedro environment whose ``azureml.yml`` and catalog are used.
        output_dir: Folder for the YAML files (created if needed).
        names: Pipelines to compile; every registered non-empty pipeline by default.
    """
    bootstrap_project(project_path)
    output_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    generator_class = bound_to(project_path)
    with KedroContextManager(env=env, project_path=str(project_path)) as manager:
        selected = names or sorted(name for name, pipe in pipelines.items() if pipe.nodes)
        for name in selected:
            generator = generator_class(
                name,
                env,
                manager.plugin_config,
                manager.context.params,
                manager.context.catalog,
                storage_account_key="",
            )
            path = output_dir / f"{name}.yaml"
            path.write_text(str(generator.generate()))
            logger.info("Compiled pipeline '%s' to %s", name, path)
            written[name] = path
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="azureml")
    parser.add_argument("--output-dir", type=Path, default=Path("azureml_compiled"))
    parser.add_argument("--pipeline", action="append", dest="names")
    parser.add_argument("--project-path", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    written = compile_pipelines(args.project_path, args.env, args.output_dir, args.names)
    print(f"Compiled {len(written)} pipeline(s) into {args.output_dir}")


if __name__ == "__main__":
    main()
