"""Helpers shared by the pipeline tests."""

from __future__ import annotations

from pathlib import Path

from kedro.io import MemoryDataset


class KeptMemoryDataset(MemoryDataset):
    """A memory dataset the runner does not release, so a test can read intermediates."""

    def _release(self) -> None:
        return


def latest_version(folder: Path) -> Path:
    """The file of the newest version of a versioned dataset (``<folder>/<version>/<file>``)."""
    versions = sorted(folder.glob("*/*"))
    if not versions:
        raise FileNotFoundError(f"no saved version under {folder}")
    return versions[-1]
