"""Request checks on their own: typed frames from the signature, and the CLI's options."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner
from mlflow.types.schema import ColSpec

from mlops_lab.serving.cli import commands, standalone
from mlops_lab.serving.payload import (
    Limits,
    RequestError,
    frame_of,
    parse_json,
    records_of,
    rejected_rows,
)

COLUMNS = [
    ColSpec("long", "Year"),
    ColSpec("double", "HYY_DMPS.d300e1", required=False),
    ColSpec("long", "flag", required=False),
    ColSpec("string", "note", required=False),
]


def test_optional_columns_may_be_missing_or_null():
    frame = frame_of(
        [{"Year": 2005, "HYY_DMPS.d300e1": 1.5, "flag": 1}, {"Year": 2005.0, "flag": None}],
        COLUMNS,
    )
    assert list(frame.columns) == ["Year", "HYY_DMPS.d300e1", "flag"]  # `note` never sent
    assert frame["Year"].tolist() == [2005, 2005] and str(frame["Year"].dtype) == "int64"
    assert frame["HYY_DMPS.d300e1"].isna().tolist() == [False, True]
    assert str(frame["flag"].dtype) == "Int64" and frame["flag"].isna().tolist() == [False, True]


def test_an_integer_field_refuses_fractions_and_64_bit_overflow():
    with pytest.raises(RequestError, match=r"Record 0: field 'Year' is a JSON number \(2005.5\)"):
        frame_of([{"Year": 2005.5}], COLUMNS)
    with pytest.raises(RequestError, match="an integer within 64 bits") as error:
        frame_of([{"Year": 2**64}], COLUMNS)
    assert (error.value.status, error.value.field, error.value.row) == (422, "Year", 0)


def test_json_and_payload_shapes():
    with pytest.raises(RequestError, match="nested too deeply"):
        parse_json(b"[" * 100_000)
    with pytest.raises(RequestError, match="at most 3 per request") as error:
        records_of({"dataframe_records": [{}] * 4}, Limits(max_records=3))
    assert error.value.status == 413
    split = {"dataframe_split": {"columns": ["a", "a"], "data": []}}
    with pytest.raises(RequestError, match="distinct strings"):
        records_of(split, Limits())


def test_rows_all_rejected_by_the_model_are_reported_with_their_reasons():
    some = pd.DataFrame({"date": ["2005-05-01", "2005-05-02"], "reason": ["", "partial day"]})
    assert rejected_rows(some) is None  # one day was classified: a 200 with the reasons
    rejected = rejected_rows(some.iloc[1:])
    assert rejected == [{"row": 0, "date": "2005-05-02", "reason": "partial day"}]


def test_cli_takes_an_alias_or_a_version_not_both():
    result = CliRunner().invoke(
        standalone,
        [
            "--model",
            "battery-cycles",
            "--alias",
            "champion",
            "--version",
            "2",
            "--tracking-uri",
            "sqlite:///nowhere.db",
        ],
    )
    assert result.exit_code == 2 and "--alias or --version, not both" in result.output
    assert "serve" in commands.commands  # `kedro serve`, through the project's entry point
