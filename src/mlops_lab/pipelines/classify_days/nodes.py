"""Nodes of ``classify_days``."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd

from mlops_lab.aerosol.model import AerosolDayClassifier
from mlops_lab.validation import InputValidationError

logger = logging.getLogger(__name__)


def classify_dmps_days(
    exports: dict[str, Callable[[], pd.DataFrame] | pd.DataFrame],
    classifier: AerosolDayClassifier,
) -> pd.DataFrame:
    """Classify every day of every export with the registered model.

    The model applies exactly the training-time preprocessing. Days that cannot be
    classified (partial, too much missing data) are kept in the table with status
    ``not classified`` and the reason.

    Args:
        exports: Raw SmartSMEAR exports (``{file name: loader}``), any days, no labels.
        classifier: The registered ``aerosol-event-classifier`` (preprocessing + CNN).

    Returns:
        One row per day: ``source, date, predicted_class, probability_<class>..., status,
        reason``, sorted by date.
    """
    if not exports:
        raise InputValidationError(
            "aerosol_dmps_to_classify: no export files found; expected SmartSMEAR DMPS CSV "
            "files in the dataset's folder."
        )
    tables = []
    for name in sorted(exports):
        partition = exports[name]
        raw = partition if isinstance(partition, pd.DataFrame) else partition()
        table = classifier.classify(raw, source=f"aerosol_dmps_to_classify/{name}")
        tables.append(table.assign(source=name))
    result = pd.concat(tables, ignore_index=True).sort_values(["date", "source"])
    result = result[["source", *classifier.output_columns()]].reset_index(drop=True)
    counts = result["predicted_class"].replace("", "(not classified)").value_counts()
    logger.info("Classified %d days: %s", len(result), counts.to_dict())
    return result
