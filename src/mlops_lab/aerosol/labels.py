"""Day labels of new-particle-formation events (SMEAR II classification, Dal Maso et al. 2005).

The file has one row per day, ``Date`` like ``02-Jan-2004`` and 0/1 flags. A day with
exactly one flag among the five classes gets that label; a day with none, with several or
with only a flag outside the five classes is excluded, with the reason kept for the report.
"""

from __future__ import annotations

import pandas as pd

from mlops_lab.aerosol.schemas import (
    LABEL_DATE_FORMAT,
    LABEL_EXTRA_FLAG_COLUMNS,
    LABEL_FLAG_COLUMNS,
    LABELS_SCHEMA,
)
from mlops_lab.validation import validate_frame

FLAG_TO_LABEL5 = {
    "Type Ia": "Ia",
    "Type Ib": "Ib",
    "Type II": "II",
    "Nonevent": "nonevent",
    "Undefined": "undefined",
}
LABEL5_TO_LABEL4 = {
    "Ia": "event_I",
    "Ib": "event_I",
    "II": "event_II",
    "undefined": "undefined",
    "nonevent": "nonevent",
}
LABEL5_TO_LABEL3 = {
    "Ia": "event",
    "Ib": "event",
    "II": "event",
    "undefined": "undefined",
    "nonevent": "nonevent",
}
CLASS_NAMES = {
    "label5": ["Ia", "Ib", "II", "undefined", "nonevent"],
    "label4": ["event_I", "event_II", "undefined", "nonevent"],
    "label3": ["event", "undefined", "nonevent"],
}


def parse_labels(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    """Validate the classification file and give each day its 5-class label or a reason.

    Args:
        raw: The file as loaded (strings and 0/1 flags).
        source: The file name, used in validation messages.

    Returns:
        One row per day: ``date``, ``label5`` (missing when excluded), ``n_flags`` and
        ``exclusion_reason`` (empty for labelled days), sorted by date.

    Raises:
        InputValidationError: a missing/unknown column, a non-0/1 flag, an unparseable or
            duplicated date, or an empty file.
    """
    table = validate_frame(raw, LABELS_SCHEMA, source)
    flags = table[list(LABEL_FLAG_COLUMNS)]
    extras = table[[c for c in LABEL_EXTRA_FLAG_COLUMNS if c in table.columns]]
    n_flags = flags.sum(axis=1)
    n_extra = extras.sum(axis=1) if not extras.empty else pd.Series(0, index=table.index)
    label5 = flags.idxmax(axis=1).map(FLAG_TO_LABEL5).where(n_flags == 1)
    label5 = label5.where(n_extra == 0)
    reason = pd.Series("", index=table.index, dtype=object)
    reason = reason.mask(n_flags == 0, "no class flag (bad or missing data)")
    reason = reason.mask(n_flags > 1, "conflicting class flags")
    reason = reason.mask(
        (n_flags <= 1) & (n_extra > 0), "flag outside the 5 classes (apple/bump/rain/featureless)"
    )
    parsed = pd.DataFrame(
        {
            "date": pd.to_datetime(table["Date"], format=LABEL_DATE_FORMAT),
            "label5": label5.astype("string"),
            "n_flags": (n_flags + n_extra).astype(int),
            "exclusion_reason": reason,
        }
    )
    return parsed.sort_values("date").reset_index(drop=True)


def label_schemes(label5: pd.Series) -> pd.DataFrame:
    """The 5-, 4- and 3-class labels of each day from its 5-class label."""
    unknown = sorted(set(label5.dropna()) - set(LABEL5_TO_LABEL3))
    if unknown:
        raise ValueError(f"unknown 5-class labels {unknown}; expected {CLASS_NAMES['label5']}.")
    return pd.DataFrame(
        {
            "label5": label5.astype(str),
            "label4": label5.map(LABEL5_TO_LABEL4).astype(str),
            "label3": label5.map(LABEL5_TO_LABEL3).astype(str),
        },
        index=label5.index,
    )
