"""Nodes of the ``component_data`` pipeline."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from mlops_lab.components.schemas import RAW_TEXTS_SCHEMA
from mlops_lab.components.text import normalise_text
from mlops_lab.validation import InputValidationError, validate_frame

logger = logging.getLogger(__name__)

SOURCE = "component texts (text, label)"


def validate_component_texts(raw: pd.DataFrame) -> pd.DataFrame:
    """Check the raw ``text, label`` file; extra columns are dropped.

    Raises:
        InputValidationError: naming the column, rows and expectation (the project's hook
            adds the dataset and its file).
    """
    validated = validate_frame(raw, RAW_TEXTS_SCHEMA, SOURCE)
    logger.info("Validated %d component texts", len(validated))
    return validated.reset_index(drop=True)


def normalise_component_texts(texts: pd.DataFrame) -> pd.DataFrame:
    """Lower-case the texts, replace punctuation by spaces and collapse whitespace."""
    normalised = texts.assign(text=texts["text"].map(normalise_text))
    changed = int((normalised["text"] != texts["text"]).sum())
    logger.info("Normalised %d texts (%d changed)", len(normalised), changed)
    return normalised


def drop_duplicate_texts(texts: pd.DataFrame) -> pd.DataFrame:
    """Keep the first of each exactly repeated (normalised text, label) row.

    Raises:
        InputValidationError: when one text carries both labels (the file contradicts
            itself, and no split could be trusted).
    """
    unique = texts.drop_duplicates(subset=["text", "label"], keep="first")
    labels_per_text = unique.groupby("text")["label"].nunique()
    conflicting = labels_per_text[labels_per_text > 1].index.tolist()
    if conflicting:
        raise InputValidationError(
            f"component texts: {len(conflicting)} text(s) carry both labels after "
            f"normalisation, e.g. {conflicting[:3]}; expected one label per text."
        )
    logger.info("Dropped %d duplicate texts, %d left", len(texts) - len(unique), len(unique))
    return unique.reset_index(drop=True)


def split_component_texts(
    texts: pd.DataFrame, fractions: dict[str, float], seed: int
) -> dict[str, pd.DataFrame]:
    """Seeded group split by template family: no family is in two splits.

    The families are shuffled with ``seed`` and dealt to train, validation and test in
    turn until each split holds its fraction of the rows, so the test figures say how a
    model reads wording it has never met in training.

    Args:
        texts: de-duplicated texts with ``label`` and ``family``.
        fractions: ``{"train": .6, "validation": .2, "test": .2}`` (must sum to 1).
        seed: random state of the family shuffle.

    Returns:
        ``{"train": ..., "validation": ..., "test": ...}`` with the columns of ``texts``.

    Raises:
        InputValidationError: when there are fewer than three families.
    """
    if set(fractions) != {"train", "validation", "test"} or abs(sum(fractions.values()) - 1) > 1e-9:
        raise ValueError(
            f"component_data.split must give train, validation and test fractions summing "
            f"to 1, got {fractions}."
        )
    sizes = texts["family"].value_counts()
    if len(sizes) < 3:
        raise InputValidationError(
            f"component texts: column 'family' has {len(sizes)} template famil(ies) "
            f"{sizes.index.tolist()}; the group split needs at least three."
        )
    order = sizes.sort_index().sample(frac=1.0, random_state=seed)
    share = order.cumsum() / order.sum()
    bounds = {
        "train": fractions["train"],
        "validation": fractions["train"] + fractions["validation"],
    }
    owner = pd.Series("test", index=order.index)
    owner[(share - order / order.sum() / 2) < bounds["validation"]] = "validation"
    owner[(share - order / order.sum() / 2) < bounds["train"]] = "train"
    assigned = texts["family"].map(owner)
    splits = {
        name: texts[assigned == name].reset_index(drop=True)
        for name in ("train", "validation", "test")
    }
    empty = [name for name, frame in splits.items() if frame.empty]
    if empty:
        raise InputValidationError(
            f"component texts: the group split over {len(sizes)} families left {empty} "
            "empty; add families or change component_data.split."
        )
    logger.info(
        "Group split by family: %s",
        {name: (len(frame), frame["family"].nunique()) for name, frame in splits.items()},
    )
    return splits


def report_component_data(
    validated: pd.DataFrame,
    normalised: pd.DataFrame,
    primary: pd.DataFrame,
    train: pd.DataFrame,
    validation: pd.DataFrame,
    test: pd.DataFrame,
) -> dict[str, Any]:
    """Rows in and out of each step, families and label balance of each split."""
    splits = {"train": train, "validation": validation, "test": test}
    report: dict[str, Any] = {
        "rows_validated": len(validated),
        "texts_changed_by_normalisation": int((normalised["text"] != validated["text"]).sum()),
        "duplicates_removed": len(normalised) - len(primary),
        "rows_primary": len(primary),
        "non_compliant_share_primary": round(float(primary["label"].mean()), 4),
    }
    for name, frame in splits.items():
        report[f"rows_{name}"] = len(frame)
        report[f"non_compliant_share_{name}"] = round(float(frame["label"].mean()), 4)
        report[f"families_{name}"] = int(frame["family"].nunique())
    report["words_per_text_max"] = int(primary["text"].str.split().str.len().max())
    logger.info("component_data report: %s", report)
    return report
