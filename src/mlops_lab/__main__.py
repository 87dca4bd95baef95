"""Entry point so the project runs as ``python -m mlops_lab``."""

import sys
from pathlib import Path

from kedro.framework.cli.utils import find_run_command
from kedro.framework.project import configure_project


def main(*args, **kwargs) -> None:
    """Run the project's ``kedro run`` command."""
    package_name = Path(__file__).parent.name
    configure_project(package_name)
    run = find_run_command(package_name)
    sys.exit(run(*args, **kwargs))


if __name__ == "__main__":
    main()
