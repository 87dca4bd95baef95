"""Character vectoriser, window, the packaged pyfunc model and its registration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.components.small_model import generated_texts, trained_network, trained_package

from mlops_lab.components.model import ComponentComplianceModel
from mlops_lab.components.text import normalise_text, rejection_reason
from mlops_lab.components.vectoriser import (
    build_classifier,
    fit_vocabulary,
    vectorise_texts,
    window_length,
)
from mlops_lab.registry import RegisteredModelDataset
from mlops_lab.simulators.component_texts import generate_component_texts
from mlops_lab.validation import InputValidationError

TRAIN = ["made of steel in good condition 2001", "plastic part made in 1980", "iron part 1999"]


def test_vocabulary_is_the_characters_of_the_training_notes():
    vocabulary = fit_vocabulary(TRAIN, max_tokens=100)
    assert vocabulary[:2] == ["", "[UNK]"]
    assert vocabulary[2] == " "  # the most frequent character
    assert set(vocabulary[2:]) == set("".join(TRAIN))
    assert len(fit_vocabulary(TRAIN, max_tokens=5)) == 5


def test_a_misspelt_or_unseen_word_keeps_the_characters_it_shares():
    vocabulary = fit_vocabulary(TRAIN, max_tokens=100)
    tokens = vectorise_texts(["steal part", "zq"], vocabulary, sequence_length=12)
    index = {token: i for i, token in enumerate(vocabulary)}
    assert tokens[0, :10].tolist() == [index[c] for c in "steal part"]
    assert tokens[0, 10:].tolist() == [0, 0]  # padded at the end
    assert tokens[1, :2].tolist() == [1, 1]  # characters never seen: [UNK]


def test_the_window_covers_the_training_lengths_with_headroom():
    texts = ["x" * n for n in range(1, 1001)]
    assert window_length(texts, coverage=1.0, headroom=1.0, multiple=8) == 1000
    assert window_length(texts, coverage=0.999, headroom=1.1, multiple=8) == 1104
    with pytest.raises(ValueError, match="coverage must be in"):
        window_length(texts, coverage=0.99, headroom=1.1, multiple=8)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("steel part 2001 good", None),
        ("", "empty text"),
        ("   ", "empty text"),
        (None, "not text (got NoneType)"),
        (12.5, "not text (got float)"),
        ("?!", "no letter or digit"),
        ("x" * 21, "longer than 20 characters (21)"),
    ],
)
def test_rejection_reasons(value, reason):
    assert rejection_reason(value, max_chars=20) == reason


@pytest.fixture(scope="module")
def package() -> ComponentComplianceModel:
    return trained_package()


def test_the_vectoriser_is_a_layer_of_the_model_with_the_derived_window(package):
    model, _, spec = trained_network()
    vectoriser = model.get_layer("vectoriser")
    assert vectoriser.get_vocabulary() == spec["vocabulary"]
    assert model.inputs[0].dtype == "string"
    assert package.sequence_length == spec["sequence_length"]
    assert spec["sequence_length"] >= spec["longest_training_note"] * 0.9


def test_a_note_longer_than_the_window_is_refused_never_cut(package):
    window = package.sequence_length
    fits = ("made of iron in good condition 2001 " + "x" * window)[:window]
    assert len(fits) == window
    assert len(package.predict(None, [fits])) == 1
    too_long = "made of steel in good condition 2001 " + "x" * window
    with pytest.raises(InputValidationError) as error:
        package.predict(None, ["steel part 2015 new condition", too_long])
    message = str(error.value)
    assert "1 input row(s)" in message
    assert f"1: \"longer than the model's window of {window} characters" in message
    assert f"({len(normalise_text(too_long))})" in message


def test_package_classifies_new_notes_of_unseen_families_correctly(package):
    # Families 40-59 are not among the 40 the tiny model was trained on.
    new = generate_component_texts(1000, seed=99, hard_case_share=0.0, n_families=60)
    new = new[new["family"] >= "family_040"].reset_index(drop=True)
    out = package.predict(None, new[["text"]])
    assert list(out.columns) == ["probability", "label"]
    assert (out["label"] == (out["probability"] >= 0.5)).all()
    assert (out["label"].to_numpy() == new["label"].to_numpy()).mean() >= 0.93


def test_a_non_compliant_fact_after_the_fifteenth_word_is_read(package):
    filler = "tech note wo 48812 odometer 84 312 km customer reports rattle at idle photos attached"
    notes = [
        f"{filler} made of steel in good condition mfd 2011",
        f"{filler} made of steel in good condition mfd 1981",
        f"{filler} mfd 2011 in good condition made of plastic",
    ]
    assert all(len(note.split()) > 15 for note in notes)
    assert package.predict(None, notes)["label"].tolist() == [0, 1, 1]


def test_package_normalises_raw_text_as_training_did(package):
    raw = ["MADE OF STEEL, in good condition (2001).", "Iron part; 1999!"]
    normalised = ["made of steel in good condition 2001", "iron part 1999"]
    out = package.predict(None, pd.DataFrame({"text": raw}))
    same = package.predict(None, normalised)
    np.testing.assert_allclose(out["probability"], same["probability"], rtol=1e-6)
    assert len(package.predict(None, [{"text": "iron part 1999"}])) == 1
    assert package.predict(None, []).empty


def test_temperature_and_threshold_are_applied_to_the_networks_logit(package):
    notes = generated_texts(50, seed=5)["text"].tolist()
    model, _, _ = trained_network()
    logits = model.predict(np.asarray(notes, dtype=object), verbose=0).ravel()
    hot = ComponentComplianceModel(
        model, package.input_example, threshold=0.2, temperature=4.0
    ).predict(None, notes)
    np.testing.assert_allclose(hot["probability"], 1 / (1 + np.exp(-logits / 4.0)), rtol=1e-5)
    assert (hot["label"] == (hot["probability"] >= 0.2)).all()


def test_signature_is_a_text_column_in_probability_and_label_out(package):
    signature = package.signature()
    assert signature.inputs.input_names() == ["text"]
    assert signature.outputs.input_names() == ["probability", "label"]


def test_package_refuses_bad_input_with_rows_named(package):
    with pytest.raises(InputValidationError, match=r"2 input row\(s\).*1: 'empty text'.*2: 'not"):
        package.predict(None, pd.DataFrame({"text": ["iron part", "", 3]}))
    with pytest.raises(ValueError, match="expects a column 'text'"):
        package.predict(None, pd.DataFrame({"description": ["iron part"]}))
    with pytest.raises(ValueError, match="got int"):
        package.predict(None, 5)


@pytest.mark.slow
def test_registered_version_ships_its_code_only_and_predicts_as_in_memory(
    package, mlflow_sqlite: str, tmp_path: Path
):
    import mlflow

    RegisteredModelDataset(model_name="component-compliance").save(package)
    loaded = RegisteredModelDataset(
        model_name="component-compliance", reference="challenger"
    ).load()
    assert (loaded.version, loaded.aliases) == ("1", ("challenger",))
    notes = generated_texts(40, seed=21)[["text"]]
    pd.testing.assert_frame_equal(loaded.predict(notes), package.predict(None, notes))
    assert loaded.python_model.sequence_length == package.sequence_length

    folder = Path(
        mlflow.artifacts.download_artifacts(f"runs:/{loaded.run_id}/model", dst_path=str(tmp_path))
    )
    shipped = {
        path.relative_to(folder / "code").as_posix()
        for path in (folder / "code").rglob("*.py")
        if path.name != "__init__.py"
    }
    assert shipped == {
        "mlops_lab/components/model.py",
        "mlops_lab/components/text.py",
        "mlops_lab/validation.py",
    }
    requirements = (folder / "requirements.txt").read_text().split()
    names = {line.split("==")[0].lower() for line in requirements}
    assert {"mlflow", "keras", "tensorflow", "pandas"} <= names
    assert all("==" in line for line in requirements)


@pytest.mark.parametrize("readout", ["max", "last"])
def test_the_readout_is_the_max_over_positions_or_the_final_state(readout):
    network = build_classifier(30, 64, 4, 4, 0.0, 0.01, 4, 3, 8, readout=readout)
    names = [layer.name for layer in network.layers]
    lstm = network.get_layer("bilstm").forward_layer
    assert lstm.return_sequences is (readout == "max")
    assert ("max_over_positions" in names) is (readout == "max")
    assert network.output_shape == (None, 1)


def test_an_unknown_readout_is_refused():
    with pytest.raises(ValueError, match="readout must be one of"):
        build_classifier(30, 64, 4, 4, 0.0, 0.01, readout="mean")
