"""Nodes of ``classify_days``."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pandas as pd

from mlops_lab.registry import RegisteredModel
from mlops_lab.validation import InputValidationError

logger = logging.getLogger(__name__)

DATASET = "aerosol_dmps_to_classify"


def classify_dmps_days(
    exports: dict[str, Callable[[], pd.DataFrame] | pd.DataFrame],
    classifier: RegisteredModel,
) -> pd.DataFrame:
    """Classify every day of every export with a registered model version.

    The model applies exactly the training-time preprocessing. Days that cannot be
    classified (partial, too much missing data) are kept in the table with status
    ``not classified`` and the reason.

    Args:
        exports: Raw SmartSMEAR exports (``{file name: loader}``), any days, no labels.
        classifier: The registered ``aerosol-event-classifier`` version (``@champion``
            unless the run names another), preprocessing + CNN.

    Returns:
        One row per day: ``source, date, predicted_class, probability_<class>..., status,
        reason, model_name, model_version``, sorted by date.
    """
    if not exports:
        raise InputValidationError(
            f"{DATASET}: no export files found; expected SmartSMEAR DMPS CSV files in the "
            "dataset's folder."
        )
    model = classifier.python_model
    tables = []
    for name in sorted(exports):
        partition = exports[name]
        raw = partition if isinstance(partition, pd.DataFrame) else partition()
        table = model.classify(raw, source=f"{DATASET}/{name}")
        tables.append(table.assign(source=name))
    result = pd.concat(tables, ignore_index=True).sort_values(["date", "source"])
    result = result[["source", *model.output_columns()]].reset_index(drop=True)
    result = result.assign(model_name=classifier.name, model_version=str(classifier.version))
    counts = result["predicted_class"].replace("", "(not classified)").value_counts()
    logger.info(
        "Classified %d days with %s v%s: %s",
        len(result),
        classifier.name,
        classifier.version,
        counts.to_dict(),
    )
    return result
