"""Vectoriser, GloVe loading and the packaged pyfunc model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlops_lab.components.model import ComponentComplianceModel
from mlops_lab.components.text import rejection_reason
from mlops_lab.components.vectoriser import (
    build_classifier,
    fit_vocabulary,
    load_glove_matrix,
    vectorise_texts,
)

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
    vocabulary = fit_vocabulary(TRAIN, max_tokens=100)
    network = build_classifier(len(vocabulary), 15, 4, 4, 0.0, 0.0, 0.01)
    return ComponentComplianceModel(network, vocabulary, sequence_length=15, threshold=0.5)


def test_package_normalises_raw_text_and_returns_probability_and_label(package):
    raw = pd.DataFrame({"text": ["MADE OF STEEL, in good condition (2001).", "iron part 1999"]})
    out = package.predict(None, raw)
    assert list(out.columns) == ["probability", "label"]
    assert out["probability"].between(0, 1).all()
    assert (out["label"] == (out["probability"] >= 0.5)).all()
    same = package.predict(None, ["made of steel in good condition 2001", "iron part 1999"])
    np.testing.assert_allclose(out["probability"], same["probability"], rtol=1e-6)
    assert len(package.predict(None, [{"text": "iron part 1999"}])) == 1


def test_package_refuses_bad_input_with_rows_named(package):
    with pytest.raises(ValueError, match=r"2 input row\(s\).*1: 'empty text'.*2: 'not text"):
        package.predict(None, pd.DataFrame({"text": ["iron part", "", 3]}))
    with pytest.raises(ValueError, match="expects a column 'text'"):
        package.predict(None, pd.DataFrame({"description": ["iron part"]}))
    with pytest.raises(ValueError, match="got int"):
        package.predict(None, 5)


@pytest.mark.slow
def test_saved_model_loads_and_predicts_without_the_project_code(package, tmp_path: Path):
    import subprocess
    import sys

    import mlflow

    path = tmp_path / "component-compliance"
    mlflow.pyfunc.save_model(path, python_model=package, pip_requirements=["mlflow"])
    script = (
        "import sys; sys.modules['mlops_lab'] = None  # the project is not importable\n"
        "import mlflow, pandas as pd\n"
        f"model = mlflow.pyfunc.load_model({str(path)!r})\n"
        "print(model.predict(pd.DataFrame({'text': ['Iron part, 1999']}))['label'].tolist())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] in ("[0]", "[1]")
