"""Nodes of the ``classify_components`` inference pipeline."""

from __future__ import annotations

import logging

import pandas as pd

from mlops_lab.components.model import TEXT_COLUMN
from mlops_lab.components.text import rejection_reason
from mlops_lab.registry import RegisteredModel
from mlops_lab.validation import require_columns

logger = logging.getLogger(__name__)


def classify_component_texts(
    raw: pd.DataFrame, model: RegisteredModel, max_chars: int
) -> pd.DataFrame:
    """Probability and label for every classifiable text; a reason for every other row.

    Rows that are not text, empty, without a letter or digit, longer than ``max_chars``
    or longer than the model's window (the model refuses to cut a note) are not sent to
    the model: they get ``rejection_reason`` and empty ``probability`` and ``label``, so
    one bad row never stops a batch. The output keeps the input's row order;
    ``row`` is the 0-based data row of the input file; ``model_name`` and
    ``model_version`` say which registered version made the predictions.

    Args:
        raw: the texts to classify (a ``text`` column; other columns are ignored).
        model: the registered ``component-compliance`` version (``@champion`` by default).
        max_chars: longest text accepted.

    Raises:
        InputValidationError: when the input has no ``text`` column (the project's hook
            adds the dataset and its file).
    """
    require_columns(raw, [TEXT_COLUMN], "texts to classify")
    values = raw[TEXT_COLUMN].tolist()
    # The model's own screen (its window); versions registered before it had none.
    model_reason = getattr(getattr(model, "python_model", None), "rejection_reason", None)
    reasons = [
        rejection_reason(value, max_chars)
        or (model_reason(value) if model_reason is not None else None)
        for value in values
    ]
    accepted = [i for i, reason in enumerate(reasons) if reason is None]
    result = pd.DataFrame(
        {
            "row": range(len(values)),
            TEXT_COLUMN: [value if isinstance(value, str) else None for value in values],
            "probability": pd.Series([float("nan")] * len(values), dtype="float64"),
            "label": pd.Series([pd.NA] * len(values), dtype="Int64"),
            "rejection_reason": reasons,
            "model_name": model.name,
            "model_version": str(model.version),
        }
    )
    if accepted:
        predictions = model.predict(pd.DataFrame({TEXT_COLUMN: [values[i] for i in accepted]}))
        result.loc[accepted, "probability"] = predictions["probability"].to_numpy()
        result.loc[accepted, "label"] = predictions["label"].to_numpy()
    logger.info(
        "Classified %d of %d texts with %s v%s (%d non-compliant); rejected %d",
        len(accepted),
        len(values),
        model.name,
        model.version,
        int(result["label"].sum()),
        len(values) - len(accepted),
    )
    return result
