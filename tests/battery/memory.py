"""An in-memory dataset for pipeline tests that the runner does not release."""

from __future__ import annotations

from kedro.io import MemoryDataset


class KeptDataset(MemoryDataset):
    """A memory dataset the runner cannot release, so the test can read it afterwards."""

    def _release(self) -> None:
        return
