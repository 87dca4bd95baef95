"""Vectoriser, GloVe loading, the packaged pyfunc model and its registration."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.components.small_model import trained_network, trained_package

from mlops_lab.components.model import ComponentComplianceModel
from mlops_lab.components.text import rejection_reason
from mlops_lab.components.vectoriser import fit_vocabulary, load_glove_matrix, vectorise_texts
from mlops_lab.registry import RegisteredModelDataset
from mlops_lab.simulators.component_texts import generate_component_texts

TRAIN = ["made of steel in good condition 2001", "plastic part made in 1980", "iron part 1999"]


def test_vocabulary_starts_with_padding_and_oov_and_counts_words():
    vocabulary = fit_vocabulary(TRAIN, max_tokens=100)
    assert vocabulary[:2] == ["", "[UNK]"]
    assert vocabulary[2] == "part"  # the most frequent word (with "made")
    assert vocabulary.count("made") == 1
    assert len(fit_vocabulary(TRAIN, max_tokens=5)) == 5


def test_unseen_words_map_to_oov_and_sequences_are_padded():
    vocabulary = fit_vocabulary(TRAIN, max_tokens=100)
    tokens = vectorise_texts(["carbon fiber part 1980"], vocabulary, sequence_length=6)
    assert tokens.shape == (1, 6)
    assert tokens[0, :2].tolist() == [1, 1]  # "carbon", "fiber" never seen in training
    assert tokens[0, 2] == vocabulary.index("part")
    assert tokens[0, 4:].tolist() == [0, 0]
    with pytest.raises(ValueError, match="padding and OOV"):
        vectorise_texts(["a"], ["a", "b"], sequence_length=3)


def test_glove_vectors_are_read_for_known_words(tmp_path: Path):
    glove = tmp_path / "tiny.glove.txt"
    glove.write_text("steel 0.1 0.2 0.3\nunknownword 1 1 1\npart -1 0 1\n")
    vocabulary = fit_vocabulary(TRAIN, max_tokens=100)
    matrix = load_glove_matrix(glove, vocabulary, embedding_dim=3, seed=0)
    assert matrix.shape == (len(vocabulary), 3)
    np.testing.assert_allclose(matrix[vocabulary.index("steel")], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(matrix[vocabulary.index("part")], [-1, 0, 1])
    assert not matrix[0].any()  # padding


def test_bad_glove_files_are_named_with_their_line(tmp_path: Path):
    vocabulary = fit_vocabulary(TRAIN, max_tokens=100)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_glove_matrix(tmp_path / "missing.txt", vocabulary, embedding_dim=3, seed=0)
    short = tmp_path / "short.txt"
    short.write_text("steel 0.1 0.2 0.3\npart 0.1 0.2\n")
    with pytest.raises(ValueError, match=r"short.txt, line 2: expected a word and 3 numbers"):
        load_glove_matrix(short, vocabulary, embedding_dim=3, seed=0)
    words = tmp_path / "words.txt"
    words.write_text("steel 0.1 x 0.3\n")
    with pytest.raises(ValueError, match=r"line 1: expected 3 numbers after 'steel'"):
        load_glove_matrix(words, vocabulary, embedding_dim=3, seed=0)


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


def test_the_vectoriser_is_a_layer_of_the_model_built_from_the_training_vocabulary():
    model, _ = trained_network()
    vectoriser = model.get_layer("vectoriser")
    assert vectoriser.get_vocabulary()[:2] == ["", "[UNK]"]
    assert model.inputs[0].dtype == "string"
    tokens = vectoriser(np.asarray(["steel part zircon"], dtype=object)).numpy()
    vocabulary = vectoriser.get_vocabulary()
    assert tokens[0, :3].tolist() == [vocabulary.index("steel"), vocabulary.index("part"), 1]


def test_the_lstm_keeps_the_conditions_for_cudnn():
    model, _ = trained_network()
    lstm = model.get_layer("component_compliance_network").get_layer("lstm")
    assert lstm.recurrent_dropout == 0
    assert lstm.activation.__name__ == "tanh"
    assert lstm.recurrent_activation.__name__ == "sigmoid"
    assert not lstm.unroll and lstm.use_bias


def test_package_classifies_new_raw_texts_correctly(package):
    new = generate_component_texts(400, seed=99)  # raw: casing and punctuation left in
    out = package.predict(None, new[["text"]])
    assert list(out.columns) == ["probability", "label"]
    assert (out["label"] == (out["probability"] >= 0.5)).all()
    assert (out["label"].to_numpy() == new["label"].to_numpy()).mean() >= 0.95
    clear = package.predict(
        None, ["Plastic bumper made in 1970, poor condition.", "steel part 2015 new condition"]
    )
    assert clear["label"].tolist() == [1, 0]
    assert clear["probability"].iloc[0] > 0.9 > 0.1 > clear["probability"].iloc[1]


def test_package_normalises_raw_text_as_training_did(package):
    raw = ["MADE OF STEEL, in good condition (2001).", "Iron part; 1999!"]
    normalised = ["made of steel in good condition 2001", "iron part 1999"]
    out = package.predict(None, pd.DataFrame({"text": raw}))
    same = package.predict(None, normalised)
    np.testing.assert_allclose(out["probability"], same["probability"], rtol=1e-6)
    assert len(package.predict(None, [{"text": "iron part 1999"}])) == 1
    assert package.predict(None, []).empty


def test_signature_is_a_text_column_in_probability_and_label_out(package):
    signature = package.signature()
    assert signature.inputs.input_names() == ["text"]
    assert signature.outputs.input_names() == ["probability", "label"]


def test_package_refuses_bad_input_with_rows_named(package):
    with pytest.raises(ValueError, match=r"2 input row\(s\).*1: 'empty text'.*2: 'not text"):
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
    texts = pd.DataFrame({"text": ["Iron part, 1999", "steel part 2015 new condition"]})
    pd.testing.assert_frame_equal(loaded.predict(texts), package.predict(None, texts))

    folder = Path(
        mlflow.artifacts.download_artifacts(f"runs:/{loaded.run_id}/model", dst_path=str(tmp_path))
    )
    shipped = {
        path.relative_to(folder / "code").as_posix()
        for path in (folder / "code").rglob("*.py")
        if path.name != "__init__.py"
    }
    assert shipped == {"mlops_lab/components/model.py", "mlops_lab/components/text.py"}
    requirements = (folder / "requirements.txt").read_text().split()
    names = {line.split("==")[0].lower() for line in requirements}
    assert {"mlflow", "keras", "tensorflow", "pandas"} <= names
    assert all("==" in line for line in requirements)
