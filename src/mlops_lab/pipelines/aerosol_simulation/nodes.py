"""Nodes of ``aerosol_simulation``."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from mlops_lab.aerosol.labels import parse_labels
from mlops_lab.simulators.aerosol_dmps import simulate_dmps_years

logger = logging.getLogger(__name__)

LABELS_DATASET = "aerosol_labels_raw"


def simulate_dmps_exports(
    raw_labels: pd.DataFrame,
    years: dict[str, int],
    months: list[int] | None,
    instrument_grids: list[dict[str, Any]],
    defect_rates: dict[str, float],
    seed: int,
) -> dict[str, pd.DataFrame]:
    """Simulate one SmartSMEAR DMPS export per year for the days of the labels file.

    Args:
        raw_labels: The SMEAR II event-classification file as loaded (validation errors
            name its dataset, ``aerosol_labels_raw``).
        years: ``first`` and ``last`` year (inclusive).
        months: Month numbers to simulate (all when null or empty).
        instrument_grids: Channel grid of each period of years.
        defect_rates: Overrides of the simulator's defect probabilities.
        seed: Base seed; each day has its own stream ``(seed, date)``.

    Returns:
        ``{"HYY_DMPS_<year>": export}``, saved as one CSV per year.
    """
    labels = parse_labels(raw_labels, LABELS_DATASET)
    if months:
        labels = labels[labels["date"].dt.month.isin(months)]
    exports = simulate_dmps_years(
        labels,
        first_year=years["first"],
        last_year=years["last"],
        grids=instrument_grids,
        seed=seed,
        defect_rates=defect_rates or {},
    )
    if not exports:
        raise ValueError(
            f"aerosol_simulation: no labelled days in {years['first']}-{years['last']} "
            f"(months {months}); the labels cover 2004-2014."
        )
    return exports
