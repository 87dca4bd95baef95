"""Boundary validation: one clear message naming source, column, rows and expectation."""

import pandas as pd
import pandera.pandas as pa
import pytest

from mlops_lab.validation import InputValidationError, require_columns, validate_frame

SCHEMA = pa.DataFrameSchema(
    {
        "Date": pa.Column(pa.DateTime, coerce=True),
        "value": pa.Column(float, pa.Check.ge(0), coerce=True),
    },
    strict=False,
)


def test_valid_frame_is_coerced():
    frame = pd.DataFrame({"Date": ["2020-01-01"], "value": ["1.5"]})
    out = validate_frame(frame, SCHEMA, "raw.csv")
    assert out["value"].dtype == float and out["Date"].dtype.kind == "M"


def test_negative_value_names_file_column_and_row():
    frame = pd.DataFrame({"Date": ["2020-01-01", "2020-01-02"], "value": [1.0, -2.0]})
    with pytest.raises(InputValidationError) as error:
        validate_frame(frame, SCHEMA, "data/01_raw/x.csv")
    message = str(error.value)
    assert "data/01_raw/x.csv" in message
    assert "column 'value'" in message
    assert "rows [1]" in message
    assert "greater_than_or_equal_to(0)" in message


def test_missing_column_and_empty_file():
    with pytest.raises(InputValidationError, match="column 'value'"):
        validate_frame(pd.DataFrame({"Date": ["2020-01-01"]}), SCHEMA, "raw.csv")
    with pytest.raises(InputValidationError, match=r"raw\.csv: the file is empty"):
        validate_frame(pd.DataFrame(), SCHEMA, "raw.csv")
    with pytest.raises(InputValidationError, match=r"missing column\(s\) \['b'\]"):
        require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "raw.csv")


def test_unexpected_column_is_named():
    strict = pa.DataFrameSchema({"value": pa.Column(float)}, strict=True, name="labels")
    frame = pd.DataFrame({"value": [1.0], "surprise": [2]})
    with pytest.raises(InputValidationError) as error:
        validate_frame(frame, strict, "labels.csv")
    assert "column 'surprise': not expected in this file" in str(error.value)
    assert "column 'labels'" not in str(error.value)


def test_a_table_level_check_is_one_line_naming_its_rows():
    both = pa.DataFrameSchema(
        {"low": pa.Column(int), "high": pa.Column(int)},
        checks=[pa.Check(lambda df: df["low"] <= df["high"], error="low <= high")],
    )
    frame = pd.DataFrame({"low": [1, 5, 2, 9], "high": [2, 3, 2, 1]})
    with pytest.raises(InputValidationError) as error:
        validate_frame(frame, both, "ranges.csv")
    assert str(error.value) == (
        "ranges.csv failed validation:\n"
        "  - table: expected low <= high; failed at rows [1, 3] (2 row(s) in all)"
    )
