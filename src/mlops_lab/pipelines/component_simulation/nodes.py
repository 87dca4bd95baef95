"""Nodes of the ``component_simulation`` pipeline."""

from __future__ import annotations

import logging

import pandas as pd

from mlops_lab.simulators.component_texts import generate_component_texts

logger = logging.getLogger(__name__)


def simulate_component_texts(
    n_texts: int, seed: int, year_min: int, year_max: int, max_tokens: int
) -> pd.DataFrame:
    """Generate the lab's ``text, label`` file: seeded technician descriptions.

    See :mod:`mlops_lab.simulators.component_texts` for the phrasing and the rule.
    """
    logger.info("Generating %d component texts with seed %d", n_texts, seed)
    return generate_component_texts(
        n_texts=n_texts, seed=seed, year_min=year_min, year_max=year_max, max_tokens=max_tokens
    )
