"""Project CLI additions (placeholder; filled in by the Azure ML work)."""

import click


@click.group(name="mlops_lab")
def commands() -> None:
    """Project commands."""
