"""Node of ``classify_components``: per-row rejections, never a crash mid-batch."""

from __future__ import annotations

import pandas as pd
import pytest

from mlops_lab.pipelines.classify_components.nodes import classify_component_texts
from mlops_lab.validation import InputValidationError


def test_good_rows_are_classified_and_bad_rows_get_a_reason(registered_model):
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
    out = classify_component_texts(raw, registered_model, max_chars=60)
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
    # Steel, good, 2001 is compliant; iron is not (the rule), and the model knows it.
    assert out.loc[accepted, "label"].astype(int).tolist() == [0, 1]
    assert out.loc[~accepted, "probability"].isna().all()
    assert out.loc[~accepted, "label"].isna().all()
    assert (out["model_name"] == "component-compliance").all()
    assert (out["model_version"] == "7").all()


def test_a_note_longer_than_the_models_window_is_rejected_not_cut():
    from tests.components.small_model import trained_package

    from mlops_lab.registry import RegisteredModel

    package = trained_package(max_chars=2000)
    model = RegisteredModel("component-compliance", "8", "run-8", ("champion",), package)
    window = package.sequence_length
    long_note = "made of iron, in good condition, 2001, " + "odometer 84312 km, " * 30
    out = classify_component_texts(
        pd.DataFrame({"text": ["iron part 1999", long_note]}), model, max_chars=2000
    )
    assert out["rejection_reason"].iloc[0] is None
    assert (
        out["rejection_reason"]
        .iloc[1]
        .startswith(f"longer than the model's window of {window} characters after normalisation")
    )
    assert pd.isna(out["probability"].iloc[1])
    assert out["label"].iloc[0] == 1


def test_a_batch_of_only_bad_rows_does_not_call_the_model(registered_model):
    class Unusable:
        name, version = "component-compliance", "1"

        def predict(self, model_input):
            raise AssertionError("the model must not be called")

    out = classify_component_texts(pd.DataFrame({"text": ["", "   "]}), Unusable(), max_chars=60)
    assert out["rejection_reason"].tolist() == ["empty text", "empty text"]


def test_a_file_without_a_text_column_is_one_clear_error(registered_model):
    with pytest.raises(InputValidationError, match=r"texts to classify: missing column"):
        classify_component_texts(pd.DataFrame({"description": ["steel"]}), registered_model, 60)
