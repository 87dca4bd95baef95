"""Print the MLflow layout: experiments, runs, registered versions and their aliases.

python -m mlops_lab.mlflow_summary                      # the project's mlruns.db
python -m mlops_lab.mlflow_summary --tracking-uri sqlite:///other.db
"""

from __future__ import annotations

import argparse
from pathlib import Path

from mlflow.tracking import MlflowClient


def summary_lines(client: MlflowClient) -> list[str]:
    """One line per run (under its experiment) and per registered model version."""
    lines = ["experiments and runs:"]
    for experiment in client.search_experiments():
        runs = client.search_runs([experiment.experiment_id], order_by=["start_time ASC"])
        if not runs:
            continue
        lines.append(f"  {experiment.name}")
        for run in runs:
            inputs = [i.dataset.name for i in run.inputs.dataset_inputs]
            lines.append(
                f"    {run.info.run_name:34s} {run.info.status:8s} "
                f"{len(run.data.params):3d} params {len(run.data.metrics):3d} metrics, "
                f"inputs: {', '.join(inputs) or '-'}  [{run.info.run_id[:8]}]"
            )
    lines.append("registered models:")
    for model in client.search_registered_models():
        lines.append(f"  {model.name}")
        versions = client.search_model_versions(f"name='{model.name}'")
        for version in sorted(versions, key=lambda v: int(v.version)):
            aliases = [a for a, v in model.aliases.items() if str(v) == str(version.version)]
            tags = version.tags
            lines.append(
                f"    v{version.version:<3} run {str(version.run_id)[:8]} "
                f"@{','.join(aliases) or '-':22s} "
                f"{tags.get('promotion.decision', '-')}: {tags.get('promotion.metric', '')} "
                f"{tags.get('promotion.challenger_score', '')}"
                f" (champion then: v{tags.get('promotion.champion_version', '-')} "
                f"{tags.get('promotion.champion_score', '')})"
            )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tracking-uri", default=f"sqlite:///{Path.cwd() / 'mlruns.db'}")
    args = parser.parse_args(argv)
    print("\n".join(summary_lines(MlflowClient(args.tracking_uri, args.tracking_uri))))


if __name__ == "__main__":
    main()
