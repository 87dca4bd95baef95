"""Validation of raw inputs at the pipeline boundary.

Every raw file is checked against a pandera schema before any transformation. A failure
raises one :class:`InputValidationError` whose message names the source file, the column,
the first offending rows and what was expected, so a user can fix the file directly.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors

MAX_ROWS_SHOWN = 5


class InputValidationError(ValueError):
    """A raw input does not match what the pipeline expects."""


def _describe_failures(failure_cases: pd.DataFrame) -> list[str]:
    """Turn pandera's failure-case table into one line per table-level check and per
    (column, check)."""
    lines = []
    frame = failure_cases.copy()
    # A table-level check (the schema's own ``checks``) fails a row, not a column: pandera
    # reports the row once per column, so it is described once, by its rows.
    frame["check"] = frame["check"].astype(str)
    table_level = (frame["schema_context"] == "DataFrameSchema") & frame["check_number"].notna()
    for check, group in frame[table_level].groupby("check", sort=False):
        rows = list(dict.fromkeys(group["index"].dropna().tolist()))
        if not rows:  # the check itself could not run (pandera gives its error)
            errors = group["failure_case"].astype(str).unique().tolist()[:MAX_ROWS_SHOWN]
            lines.append(f"table: expected {check}; failed at the table ({errors})")
            continue
        lines.append(
            f"table: expected {check}; failed at rows {rows[:MAX_ROWS_SHOWN]} "
            f"({len(rows)} row(s) in all)"
        )
    frame = frame[~table_level].copy()
    frame["column"] = frame["column"].fillna("<table>").astype(str)
    for (column, check), group in frame.groupby(["column", "check"], sort=False):
        if check == "column_in_dataframe":
            for missing in group["failure_case"]:
                lines.append(f"column '{missing}': missing; expected the column to be present")
            continue
        if check == "column_in_schema":  # pandera names the schema here, not the column
            for unknown in group["failure_case"]:
                lines.append(f"column '{unknown}': not expected in this file")
            continue
        rows = group["index"].dropna().tolist()[:MAX_ROWS_SHOWN]
        values = group["failure_case"].tolist()[:MAX_ROWS_SHOWN]
        where = f"rows {rows}" if rows else "the table"
        lines.append(
            f"column '{column}': expected {check}; failed at {where} (values {values}; "
            f"{len(group)} failure(s) in all)"
        )
    return lines


def validate_frame(df: pd.DataFrame, schema: pa.DataFrameSchema, source: str) -> pd.DataFrame:
    """Validate ``df`` against ``schema`` and return the (coerced) frame.

    Args:
        df: The raw table as loaded.
        schema: The expected columns, types and checks.
        source: What the table is (file path or catalog entry), used in the message.

    Returns:
        The validated frame, with types coerced where the schema says so.

    Raises:
        InputValidationError: One message listing every problem with its column and rows.
    """
    if df is None or len(df.columns) == 0 or df.empty:
        raise InputValidationError(
            f"{source}: the file is empty; expected a header and at least one row with "
            f"columns {list(schema.columns)}."
        )
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as errors:
        details = "\n  - ".join(_describe_failures(errors.failure_cases))
        raise InputValidationError(f"{source} failed validation:\n  - {details}") from None
    except SchemaError as error:  # pragma: no cover - lazy=True raises SchemaErrors
        raise InputValidationError(f"{source} failed validation: {error}") from None


def require_columns(df: pd.DataFrame, columns: list[str], source: str) -> None:
    """Raise a clear error when ``df`` lacks any of ``columns``."""
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise InputValidationError(
            f"{source}: missing column(s) {missing}; expected columns {columns}, "
            f"found {list(df.columns)}."
        )
