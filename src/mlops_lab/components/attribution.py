"""Which words decided a note: occlusion of one word at a time.

For a normalised note of ``n`` words the model is asked ``n + 1`` times: the note itself
and the note with each word left out. A word's attribution is the calibrated probability
of non-compliance of the whole note minus that of the note without the word: positive
when the word pushed the note towards non-compliant, negative when it pushed towards
compliant. It needs nothing but the served ``classify`` interface, so the network and
the TF-IDF baseline are explained the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


class TextClassifier(Protocol):
    """What occlusion needs: calibrated probabilities for a list of notes."""

    def classify(self, model_input: list[str]) -> pd.DataFrame: ...


def occlusion_attributions(model: TextClassifier, notes: Sequence[str]) -> pd.DataFrame:
    """One row per (note, word): ``note``, ``position``, ``word``, ``attribution``,
    ``probability`` (of the whole note).

    Args:
        model: anything with the registered models' ``classify``.
        notes: normalised notes of at least two words.

    Raises:
        ValueError: naming the note when it has fewer than two words (nothing would be
            left to classify) or when the model returns a probability that is not finite.
    """
    variants: list[str] = []
    owners: list[tuple[int, int, str]] = []
    for index, note in enumerate(notes):
        words = str(note).split()
        if len(words) < 2:
            raise ValueError(
                f"occlusion_attributions: note {index} ({note!r}) has {len(words)} word(s); "
                "at least two are needed to leave one out."
            )
        variants.append(" ".join(words))
        owners.append((index, -1, ""))
        for position, word in enumerate(words):
            variants.append(" ".join(words[:position] + words[position + 1 :]))
            owners.append((index, position, word))
    probability = model.classify(variants)["probability"].to_numpy(dtype="float64")
    if not np.isfinite(probability).all():
        bad = owners[int(np.flatnonzero(~np.isfinite(probability))[0])][0]
        raise ValueError(
            f"occlusion_attributions: the model returned a probability that is not finite "
            f"for note {bad} ({notes[bad]!r}) or one of its occlusions."
        )
    rows = []
    full = {}
    for (index, position, word), value in zip(owners, probability, strict=True):
        if position < 0:
            full[index] = value
            continue
        rows.append(
            {
                "note": index,
                "position": position,
                "word": word,
                "attribution": float(full[index] - value),
                "probability": float(full[index]),
            }
        )
    logger.info("Occluded %d words of %d notes", len(rows), len(notes))
    return pd.DataFrame(rows)


def sample_notes(
    notes: pd.DataFrame, per_class: int, seed: int, min_words: int = 2
) -> pd.DataFrame:
    """Up to ``per_class`` notes of each label (``label`` 0 and 1), drawn with ``seed``
    among notes of at least ``min_words`` words; the model's mistakes come first."""
    eligible = notes[notes["text"].str.split().str.len() >= min_words]
    picked = []
    for label in (0, 1):
        group = eligible[eligible["label"] == label]
        if "predicted" in group:
            wrong = group[group["predicted"] != group["label"]]
            right = group[group["predicted"] == group["label"]]
        else:
            wrong, right = group.iloc[:0], group
        take_wrong = wrong.sample(n=min(len(wrong), per_class // 2), random_state=seed)
        take_right = right.sample(n=min(len(right), per_class - len(take_wrong)), random_state=seed)
        picked += [take_wrong, take_right]
    return pd.concat(picked).reset_index(drop=True)
