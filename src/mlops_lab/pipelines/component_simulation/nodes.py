"""Nodes of the ``component_simulation`` pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from mlops_lab.simulators.component_texts import generate_component_texts

logger = logging.getLogger(__name__)


def simulate_component_texts(n_texts: int, seed: int, notes: dict[str, Any]) -> pd.DataFrame:
    """Generate the labelled notes: ``text, label, family, hard_case, fact_token``.

    Args:
        n_texts: number of notes.
        seed: seed of the values, noise and hard cases.
        notes: the generator's options (``max_words``, ``n_families``,
            ``hard_case_share``, ``non_compliant_share``, ...), see
            :func:`mlops_lab.simulators.component_texts.generate_component_texts`.
    """
    logger.info("Generating %d component notes with seed %d", n_texts, seed)
    return generate_component_texts(n_texts=n_texts, seed=seed, **notes)


# Rows a real batch contains now and then; classify_components rejects each with a reason.
MALFORMED_TEXTS = ("", "   ", "?!", "steel " * 120)


def simulate_texts_to_classify(n_texts: int, seed: int, notes: dict[str, Any]) -> pd.DataFrame:
    """New, unlabelled texts for ``classify_components``, with a few malformed rows.

    Drawn with their own seed (so they are not the training texts) and followed by an
    empty, a blank, a punctuation-only and an over-long row, so that a first
    ``kedro run -p classify_components`` shows the per-row rejections as well.
    """
    texts = generate_component_texts(n_texts=n_texts, seed=seed, **notes)[["text"]]
    malformed = pd.DataFrame({"text": list(MALFORMED_TEXTS)})
    logger.info("Writing %d new texts and %d malformed rows to classify", n_texts, len(malformed))
    return pd.concat([texts, malformed], ignore_index=True)
