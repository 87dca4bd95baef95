"""Scoring requests in, a typed DataFrame out: every client mistake is one :class:`RequestError`.

The checks come from what the model publishes, nothing per model: the MLflow signature's
input columns (name, type, required) decide which fields a record may and must have and
what each value must be. The checks run before the model is called, so a malformed request
never reaches it; what only the model can judge (a battery it has no history for, a text
that is too long) it reports by raising ``ValueError`` (``InputValidationError`` is one),
which the server answers with 422 and the model's message.

Accepted bodies are MLflow's scoring formats, so one payload works here, with ``mlflow
models serve`` and with the Azure ML scoring script:

- ``{"dataframe_records": [{"column": value, ...}, ...]}``
- ``{"dataframe_split": {"columns": [...], "data": [[...], ...]}}``
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.types.schema import ColSpec, DataType, Schema

RECORDS = "dataframe_records"
SPLIT = "dataframe_split"
FORMATS = (RECORDS, SPLIT)
INT64 = (-(2**63), 2**63 - 1)
SHOWN = 5  # at most this many rows or fields named in one message


class RequestError(Exception):
    """A request the server rejects: HTTP status, a code and a message naming what is wrong.

    Args:
        status: HTTP status (400 malformed, 413 too large, 415 not JSON, 422 invalid).
        code: Short machine-readable reason (``invalid_json``, ``missing_field``, ...).
        message: What is wrong and what was expected, naming the field and row.
        field: The field concerned, when there is one.
        row: The record concerned (0-based), when there is one.
    """

    def __init__(
        self, status: int, code: str, message: str, field: str | None = None, row: int | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field, self.row = (
            status,
            code,
            message,
            field,
            row,
        )

    def body(self) -> dict[str, Any]:
        """The JSON error body."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.row is not None:
            body["row"] = self.row
        return body


@dataclass(frozen=True)
class Limits:
    """What one request may be: body size, number of records, time to answer."""

    max_body_bytes: int = 4_000_000
    max_records: int = 10_000
    timeout_s: float = 30.0

    def as_dict(self) -> dict[str, float]:
        return {
            "max_body_bytes": self.max_body_bytes,
            "max_records": self.max_records,
            "timeout_s": self.timeout_s,
        }


def _reject_constant(name: str) -> Any:
    raise RequestError(
        400, "invalid_json", f"{name} is not a JSON number; send finite numbers, or null."
    )


def parse_json(body: bytes) -> Any:
    """The JSON document of ``body``; NaN and Infinity (not JSON) are rejected.

    Raises:
        RequestError: 400 naming the position of the first error.
    """
    if not body.strip():
        raise RequestError(400, "empty_body", "The request body is empty; expected a JSON object.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RequestError(
            400, "invalid_encoding", f"The body is not UTF-8 (byte {error.start}); send UTF-8 JSON."
        ) from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise RequestError(
            400,
            "invalid_json",
            f"Malformed JSON at line {error.lineno} column {error.colno}: {error.msg}.",
        ) from None
    except RecursionError:
        raise RequestError(400, "invalid_json", "The JSON is nested too deeply.") from None


def records_of(payload: Any, limits: Limits) -> list[Mapping[str, Any]]:
    """The records of an MLflow scoring payload (see the module docstring).

    Raises:
        RequestError: 422 for a payload of another shape, 413 for too many records.
    """
    if not isinstance(payload, dict):
        raise RequestError(
            422,
            "invalid_payload",
            f"Expected a JSON object with one key of {list(FORMATS)}, got a JSON "
            f"{_json_type(payload)}.",
        )
    keys = [key for key in payload if key in FORMATS]
    others = sorted(set(payload) - set(FORMATS))
    if len(keys) != 1 or others:
        raise RequestError(
            422,
            "invalid_payload",
            f"Expected exactly one of {list(FORMATS)} and nothing else, got keys "
            f"{sorted(payload)[:SHOWN]}.",
        )
    content = payload[keys[0]]
    records = _split_records(content) if keys[0] == SPLIT else content
    if not isinstance(records, list):
        raise RequestError(
            422,
            "invalid_payload",
            f"'{RECORDS}' must be a list of objects, got a JSON {_json_type(records)}.",
            field=RECORDS,
        )
    if not records:
        raise RequestError(422, "no_records", "The request has no records; send at least one.")
    if len(records) > limits.max_records:
        raise RequestError(
            413,
            "too_many_records",
            f"{len(records)} records; this endpoint accepts at most {limits.max_records} "
            "per request.",
        )
    for row, record in enumerate(records):
        if not isinstance(record, dict):
            raise RequestError(
                422,
                "invalid_record",
                f"Record {row} is a JSON {_json_type(record)}; expected an object of fields.",
                row=row,
            )
    return records


def _split_records(content: Any) -> list[dict[str, Any]]:
    if not isinstance(content, dict) or not isinstance(content.get("columns"), list):
        raise RequestError(
            422,
            "invalid_payload",
            f"'{SPLIT}' must be an object with 'columns' (a list of names) and 'data' "
            "(a list of rows).",
            field=SPLIT,
        )
    unknown = sorted(set(content) - {"columns", "data", "index"})
    if unknown:
        raise RequestError(
            422,
            "invalid_payload",
            f"'{SPLIT}' has unexpected keys {unknown[:SHOWN]}; expected columns, data, index.",
            field=SPLIT,
        )
    columns, data = content["columns"], content.get("data")
    if not all(isinstance(name, str) for name in columns) or len(set(columns)) != len(columns):
        raise RequestError(
            422,
            "invalid_payload",
            f"'{SPLIT}.columns' must be distinct strings.",
            field=f"{SPLIT}.columns",
        )
    if not isinstance(data, list):
        raise RequestError(
            422,
            "invalid_payload",
            f"'{SPLIT}.data' must be a list of rows, got a JSON {_json_type(data)}.",
            field=f"{SPLIT}.data",
        )
    records = []
    for row, values in enumerate(data):
        if not isinstance(values, list) or len(values) != len(columns):
            raise RequestError(
                422,
                "invalid_record",
                f"Row {row} of '{SPLIT}.data' must be a list of {len(columns)} values (one per "
                f"column), got a JSON {_json_type(values)}"
                + (f" of {len(values)}" if isinstance(values, list) else "")
                + ".",
                row=row,
            )
        records.append(dict(zip(columns, values, strict=True)))
    return records


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# ------------------------------------------------------------------ values by signature type
def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("an integer")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise TypeError("an integer")
        value = int(value)
    if not INT64[0] <= value <= INT64[1]:
        raise TypeError("an integer within 64 bits")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError("a number")
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        number = math.inf
    if not math.isfinite(number):
        raise TypeError("a finite number")
    return number


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("a string")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError("true or false")
    return value


def _datetime(value: Any) -> pd.Timestamp:
    if not isinstance(value, str) or len(value) > 40:
        raise TypeError("an ISO 8601 date or time string, e.g. 2017-03-20")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, OverflowError, TypeError):
        raise TypeError("an ISO 8601 date or time string, e.g. 2017-03-20") from None
    if pd.isna(stamp):
        raise TypeError("an ISO 8601 date or time string, e.g. 2017-03-20")
    return stamp.tz_convert(None) if stamp.tzinfo is not None else stamp


CONVERTERS = {
    DataType.boolean: (_boolean, "bool"),
    DataType.integer: (_integer, "int32"),
    DataType.long: (_integer, "int64"),
    DataType.float: (_number, "float32"),
    DataType.double: (_number, "float64"),
    DataType.string: (_string, "object"),
    DataType.binary: (_string, "object"),
    DataType.datetime: (_datetime, "datetime64[ns]"),
}
NULLABLE_DTYPES = {"bool": "boolean", "int32": "Int32", "int64": "Int64"}


def input_columns(signature: ModelSignature | None) -> list[ColSpec] | None:
    """The named input columns of a signature, or None when it has none to check against."""
    schema = signature.inputs if signature is not None else None
    if not isinstance(schema, Schema) or not schema.has_input_names():
        return None
    columns = [spec for spec in schema.inputs if isinstance(spec, ColSpec)]
    return columns if len(columns) == len(schema.inputs) else None


def frame_of(records: Sequence[Mapping[str, Any]], columns: list[ColSpec] | None) -> pd.DataFrame:
    """The records as a DataFrame typed by the signature's columns.

    Every required column must be in every record with a non-null value; an optional one
    may be missing or null (then missing, NaN). A field the signature does not name is
    rejected. Without a column signature, records only need scalar values.

    Raises:
        RequestError: 422 naming the field, the record and what was expected.
    """
    if columns is None:
        return _untyped_frame(records)
    names = [spec.name for spec in columns]
    known = set(names)
    for row, record in enumerate(records):
        if record.keys() <= known:
            continue
        unknown = [name for name in record if name not in known]
        if unknown:
            raise RequestError(
                422,
                "unknown_field",
                f"Record {row}: unknown field '{unknown[0]}'; this model accepts {_names(names)}.",
                field=str(unknown[0]),
                row=row,
            )
    data: dict[str, Any] = {}
    for spec in columns:
        convert, dtype = CONVERTERS[spec.type]
        values = [record.get(spec.name) for record in records]
        present = [value is not None for value in values]
        if spec.required and not all(present):
            row = present.index(False)
            what = "missing" if spec.name not in records[row] else "null"
            raise RequestError(
                422,
                "missing_field",
                f"Record {row}: field '{spec.name}' is {what}; expected "
                f"{_expected(spec)} (required).",
                field=spec.name,
                row=row,
            )
        if not any(present) and not any(spec.name in record for record in records):
            continue  # an optional column the request does not use
        fast = _fast_column(spec, values, all(present))
        if fast is not None:
            data[spec.name] = fast
            continue
        converted = []
        for row, value in enumerate(values):
            if value is None:
                converted.append(None)
                continue
            try:
                converted.append(convert(value))
            except TypeError as expected:
                raise RequestError(
                    422,
                    "invalid_value",
                    f"Record {row}: field '{spec.name}' is {_shown(value)}; expected {expected}.",
                    field=spec.name,
                    row=row,
                ) from None
        data[spec.name] = _column(converted, dtype, all(present))
    return pd.DataFrame(data, index=pd.RangeIndex(len(records)))


def _fast_column(spec: ColSpec, values: list[Any], complete: bool) -> np.ndarray | None:
    """The column in one vectorised step when every value is plainly right, else None.

    None sends the column through the value-by-value checks, which name the first bad row.
    """
    kinds = {type(value) for value in values}
    try:
        if spec.type in (DataType.double, DataType.float) and kinds <= {float, int, type(None)}:
            present = np.array([value is not None for value in values])
            array = np.array([np.nan if v is None else v for v in values], dtype="float64")
            if np.isfinite(array[present]).all():
                return array.astype(CONVERTERS[spec.type][1], copy=False)
        elif spec.type in (DataType.long, DataType.integer) and kinds == {int} and complete:
            return np.array(values, dtype="int64").astype(CONVERTERS[spec.type][1], copy=False)
        elif spec.type == DataType.string and kinds == {str}:
            column = np.empty(len(values), dtype=object)
            column[:] = values
            return column
        elif spec.type == DataType.datetime and kinds == {str} and complete:
            parsed = pd.to_datetime(values, format="ISO8601")
            if max(map(len, values)) <= 40 and isinstance(parsed.dtype, np.dtype):  # naive
                return parsed.to_numpy(dtype="datetime64[ns]")
    except (OverflowError, ValueError, TypeError):
        return None
    return None


def _column(values: list[Any], dtype: str, complete: bool) -> pd.Series:
    if complete:
        return pd.Series(values, dtype=dtype)
    if dtype in NULLABLE_DTYPES:  # an optional integer column with gaps
        return pd.Series(values, dtype=NULLABLE_DTYPES[dtype])
    if dtype.startswith("float"):
        return pd.Series([np.nan if v is None else v for v in values], dtype=dtype)
    return pd.Series(values, dtype=dtype)


def _untyped_frame(records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    for row, record in enumerate(records):
        for name, value in record.items():
            if isinstance(value, dict | list):
                raise RequestError(
                    422,
                    "invalid_value",
                    f"Record {row}: field '{name}' is a JSON {_json_type(value)}; expected a "
                    "string, number, boolean or null.",
                    field=str(name),
                    row=row,
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise RequestError(
                    422,
                    "invalid_value",
                    f"Record {row}: field '{name}' is not a finite number.",
                    field=str(name),
                    row=row,
                )
    return pd.DataFrame.from_records(list(records))


def _expected(spec: ColSpec) -> str:
    return {
        DataType.boolean: "true or false",
        DataType.integer: "an integer",
        DataType.long: "an integer",
        DataType.float: "a number",
        DataType.double: "a number",
        DataType.string: "a string",
        DataType.binary: "a string",
        DataType.datetime: "an ISO 8601 date or time string",
    }[spec.type]


def _names(names: list[str]) -> str:
    shown = ", ".join(names[: SHOWN * 2])
    return f"[{shown}{', ...' if len(names) > SHOWN * 2 else ''}] ({len(names)} fields)"


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return f"a JSON {_json_type(value)} ({text[:40]}{'...' if len(text) > 40 else ''})"


# ------------------------------------------------------------------ predictions out
def predictions_json(predictions: Any) -> str:
    """Model output as a JSON array of records (NaN as null, dates in ISO 8601)."""
    if isinstance(predictions, pd.Series):
        predictions = predictions.to_frame()
    if isinstance(predictions, pd.DataFrame):
        return predictions.to_json(orient="records", date_format="iso", date_unit="s")
    if isinstance(predictions, np.ndarray):
        return pd.DataFrame({"prediction": list(predictions)}).to_json(orient="records")
    return json.dumps(predictions, default=str, allow_nan=False)


def rejected_rows(predictions: Any, limit: int = SHOWN) -> list[dict[str, Any]] | None:
    """The rows' reasons when a model answered every row with a ``reason`` and nothing else.

    A model that screens each row (e.g. a day too incomplete to classify) publishes a
    ``reason`` column in its output, empty when the row was predicted. When no row of a
    request could be predicted, the request is rejected with those reasons.
    """
    if not isinstance(predictions, pd.DataFrame) or "reason" not in predictions:
        return None
    reasons = predictions["reason"].fillna("").astype(str)
    if predictions.empty or not reasons.str.len().gt(0).all():
        return None
    shown = predictions.head(limit).reset_index(drop=True)
    return [
        {"row": row, **{k: v for k, v in record.items() if isinstance(v, str) and v}}
        for row, record in enumerate(shown.to_dict("records"))
    ]


# ------------------------------------------------------------------ one request, end to end
JSON = "application/json"


def check_content_type(content_type: str | None) -> None:
    """Only JSON bodies are scored (415 otherwise)."""
    text = content_type or ""
    if text.split(";")[0].strip().lower() != JSON:
        raise RequestError(
            415,
            "unsupported_media_type",
            f"Content-Type '{text[:60]}' is not supported; send {JSON}.",
        )


def check_size(size: int, limits: Limits) -> None:
    """A body over ``limits.max_body_bytes`` is refused (413)."""
    if size > limits.max_body_bytes:
        raise RequestError(
            413,
            "body_too_large",
            f"The body has {size} bytes or more; this endpoint accepts at most "
            f"{limits.max_body_bytes} bytes per request.",
        )


def request_frame(body: bytes, columns: list[ColSpec] | None, limits: Limits) -> pd.DataFrame:
    """The typed DataFrame of a request body (every check above, in order)."""
    check_size(len(body), limits)
    return frame_of(records_of(parse_json(body), limits), columns)


def model_rejection(error: ValueError) -> RequestError:
    """The 422 of an input the model itself refused (its message, shortened)."""
    return RequestError(422, "invalid_input", str(error)[:2000])


def answer_json(identity: str, predictions: Any) -> str:
    """The response body: ``{"model": <identity JSON>, "predictions": [...]}``.

    Raises:
        RequestError: 422 when the model could predict no record (:func:`rejected_rows`).
    """
    rejected = rejected_rows(predictions)
    if rejected is not None:
        raise RequestError(422, "not_predictable", f"No record could be predicted: {rejected}.")
    return f'{{"model": {identity}, "predictions": {predictions_json(predictions)}}}'
