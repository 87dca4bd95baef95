"""Node of ``classify_components``: per-row rejections, never a crash mid-batch."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_lab.pipelines.classify_components.nodes import classify_component_texts
from mlops_lab.validation import InputValidationError

SOURCE = "data/01_raw/components/texts_to_classify.csv"


def test_good_rows_are_classified_and_bad_rows_get_a_reason(pyfunc_model):
    raw = pd.DataFrame(
        {
            "text": [
                "Made of STEEL, good condition, 2001",
                "",
                None,
                12.5,
                "?!",
                "plastic " * 20,
                "iron part 1999",
            ],
            "ticket": range(7),
        }
    )
    out = classify_component_texts(raw, pyfunc_model, max_chars=60, source=SOURCE)
    assert out["row"].tolist() == list(range(7))
    assert out["rejection_reason"].tolist() == [
        None,
        "empty text",
        "not text (got NoneType)",
        "not text (got float)",
        "no letter or digit",
        "longer than 60 characters (160)",
        None,
    ]
    accepted = out["rejection_reason"].isna()
    assert out.loc[accepted, "probability"].between(0, 1).all()
    assert out.loc[~accepted, "probability"].isna().all()
    assert out.loc[~accepted, "label"].isna().all()
    expected = (out.loc[accepted, "probability"] >= 0.5).astype(int).tolist()
    assert out.loc[accepted, "label"].astype(int).tolist() == expected


def test_a_batch_of_only_bad_rows_does_not_call_the_model():
    raw = pd.DataFrame({"text": ["", "   "]})
    out = classify_component_texts(raw, model=None, max_chars=60, source=SOURCE)
    assert out["rejection_reason"].tolist() == ["empty text", "empty text"]


def test_a_file_without_a_text_column_is_one_clear_error(pyfunc_model):
    with pytest.raises(InputValidationError, match=r"texts_to_classify.csv: missing column"):
        classify_component_texts(pd.DataFrame({"description": ["steel"]}), pyfunc_model, 60, SOURCE)
