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


# Rows a real batch contains now and then; classify_components rejects each with a reason.
MALFORMED_TEXTS = ("", "   ", "?!", "steel " * 120)


def simulate_texts_to_classify(
    n_texts: int, seed: int, year_min: int, year_max: int, max_tokens: int
) -> pd.DataFrame:
    """New, unlabelled texts for ``classify_components``, with a few malformed rows.

    Drawn with their own seed (so they are not the training texts) and followed by an
    empty, a blank, a punctuation-only and an over-long row, so that a first
    ``kedro run -p classify_components`` shows the per-row rejections as well.
    """
    texts = generate_component_texts(
        n_texts=n_texts, seed=seed, year_min=year_min, year_max=year_max, max_tokens=max_tokens
    )[["text"]]
    malformed = pd.DataFrame({"text": list(MALFORMED_TEXTS)})
    logger.info("Writing %d new texts and %d malformed rows to classify", n_texts, len(malformed))
    return pd.concat([texts, malformed], ignore_index=True)
