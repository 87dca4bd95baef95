"""Nodes of ``component_compliance`` on tiny data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mlops_lab.components.text import normalise_text
from mlops_lab.components.vectoriser import vectorise_texts
from mlops_lab.pipelines.component_compliance.nodes import (
    EPOCH_METRICS,
    analyse_classification_errors,
    evaluate_compliance_classifier,
    fit_text_vectoriser,
    log_tracking_location,
    package_compliance_model,
    summarise_training,
    train_compliance_classifier,
)
from mlops_lab.simulators.component_texts import generate_component_texts

MODEL = {
    "embedding_dim": 8,
    "embedding_trainable": True,
    "lstm_units": 8,
    "dropout": 0.2,
    "recurrent_dropout": 0.2,
}
TRAINING = {"learning_rate": 0.01, "epochs": 2, "batch_size": 64, "verbose": 0}


def _texts(n: int, seed: int) -> pd.DataFrame:
    raw = generate_component_texts(n, seed=seed)
    return raw.assign(text=raw["text"].map(normalise_text))


def test_vocabulary_is_fitted_on_the_training_split_only():
    train = pd.DataFrame({"text": ["steel part 2001 good", "iron part 1980 poor"], "label": [0, 1]})
    vocabulary = fit_text_vectoriser(train, max_tokens=100)
    assert set(vocabulary) == {"", "[UNK]", "steel", "part", "2001", "good", "iron", "1980", "poor"}
    # "zircon" appears only in a test text: it maps to out-of-vocabulary ([UNK] = 1).
    tokens = vectorise_texts(["zircon part 2001 good"], vocabulary, sequence_length=5)
    assert tokens[0].tolist() == [1, *(vocabulary.index(w) for w in ("part", "2001", "good")), 0]


@pytest.fixture(scope="module")
def trained():
    train, validation = _texts(600, seed=1), _texts(200, seed=2)
    vocabulary = fit_text_vectoriser(train, max_tokens=1000)
    model, history = train_compliance_classifier(
        train, validation, vocabulary, 15, MODEL, TRAINING, None, seed=3
    )
    return model, history, vocabulary


@pytest.mark.slow
def test_training_returns_a_model_and_a_plain_history(trained):
    model, history, _ = trained
    assert all(len(history[key]) == 2 for key in EPOCH_METRICS)
    assert all(np.isfinite(history[key]).all() for key in EPOCH_METRICS)
    assert history["train_seconds"][0] > 0
    assert model.output_shape == (None, 1)


@pytest.mark.slow
def test_a_glove_file_written_here_initialises_the_embedding(tmp_path: Path):
    train, validation = _texts(200, seed=4), _texts(100, seed=5)
    vocabulary = fit_text_vectoriser(train, max_tokens=1000)
    glove = tmp_path / "glove.8d.txt"
    vectors = {"steel": np.linspace(-1, 1, 8), "plastic": np.full(8, 0.5)}
    glove.write_text(
        "".join(f"{w} {' '.join(f'{x:.4f}' for x in v)}\n" for w, v in vectors.items())
    )
    frozen = {**MODEL, "embedding_trainable": False}
    model, _ = train_compliance_classifier(
        train, validation, vocabulary, 15, frozen, {**TRAINING, "epochs": 1}, str(glove), seed=3
    )
    weights = model.get_layer("embedding").get_weights()[0]
    for word, vector in vectors.items():
        np.testing.assert_allclose(weights[vocabulary.index(word)], vector, atol=1e-4)
    with pytest.raises(FileNotFoundError, match="embeddings_path"):
        train_compliance_classifier(
            train, validation, vocabulary, 15, MODEL, TRAINING, str(tmp_path / "no.txt"), 3
        )


def test_training_summary_has_curves_epoch_metrics_and_lr():
    history = {key: [0.5, 0.4] for key in EPOCH_METRICS} | {"train_seconds": [1.0]}
    figure, epoch_metrics, lr = summarise_training(history, 0.001)
    assert isinstance(figure, Figure)
    assert epoch_metrics["val_loss"] == [{"value": 0.5, "step": 0}, {"value": 0.4, "step": 1}]
    assert set(epoch_metrics) == set(EPOCH_METRICS)
    assert lr == 0.001


@pytest.mark.slow
def test_evaluation_and_packaging_agree_on_raw_text(trained):
    model, _, vocabulary = trained
    test = _texts(100, seed=6)
    eval_metrics, predictions = evaluate_compliance_classifier(model, test, vocabulary, 15, 0.5)
    assert set(eval_metrics) == {"eval_loss", "eval_accuracy"}
    assert eval_metrics["eval_accuracy"]["value"] == pytest.approx(
        (predictions["label"] == predictions["predicted"]).mean(), abs=1e-6
    )
    package, card = package_compliance_model(model, vocabulary, 15, 0.5, 500)
    raw = generate_component_texts(100, seed=6)["text"]  # not normalised: the package does it
    packaged = package.predict(None, pd.DataFrame({"text": raw}))
    np.testing.assert_allclose(packaged["probability"], predictions["probability"], rtol=1e-5)
    assert card["vocabulary_size"] == len(vocabulary)


def test_error_analysis_slices_and_reasons():
    predictions = pd.DataFrame(
        {
            "text": [
                "made in 1994 steel good condition",
                "made in 1995 steel good condition",
                "made in 1995 plastic new condition",
                "made in 2010 carbon fiber fair condition",
            ],
            "label": [1, 0, 1, 1],
            "probability": [0.9, 0.8, 0.7, 0.2],
            "predicted": [1, 1, 1, 0],
        }
    )
    result = analyse_classification_errors(predictions)
    slices = result["slices"].set_index("slice")
    assert slices.loc["all", "accuracy"] == 0.5
    assert slices.loc["year_1994", "accuracy"] == 1.0
    assert (slices.loc["year_1995", "n"], slices.loc["year_1995", "errors"]) == (2, 1)
    assert slices.loc["condition_fair", "accuracy"] == 0.0
    assert slices.loc["material_carbon_fiber", "n"] == 1
    reasons = result["misclassified"].set_index("text")["true_label_reason"]
    assert reasons["made in 1995 steel good condition"] == "compliant"
    assert reasons["made in 2010 carbon fiber fair condition"] == "condition fair"
    assert result["metrics"]["accuracy"] == 0.5
    assert result["metrics"]["recall_non_compliant"] == pytest.approx(2 / 3)
    assert result["mlflow_metrics"]["slice_accuracy_year_1994"] == {"value": 1.0, "step": 0}
    assert isinstance(result["confusion_matrix"], Figure)


def test_tracking_location_without_a_run_says_so():
    location = log_tracking_location({"vocabulary_size": 3}, {"accuracy": 0.9})
    assert location["run_id"] is None
    assert location["registered_models"] == []
    assert location["model"] == {"vocabulary_size": 3}
