"""Nodes of ``component_compliance`` on tiny data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.components.small_model import (
    MODEL,
    SEQUENCE_LENGTH,
    TRAINING,
    generated_texts,
    trained_network,
    trained_package,
    untrained_package,
)

from mlops_lab.components.vectoriser import vectorise_texts
from mlops_lab.pipelines.component_compliance.nodes import (
    EPOCH_METRICS,
    analyse_classification_errors,
    fit_text_vectoriser,
    package_compliance_model,
    predict_test_texts,
    score_promotion_candidates,
    summarise_training,
    train_compliance_classifier,
)
from mlops_lab.promotion import decide_promotion
from mlops_lab.registry import RegisteredModel

GATE = {"metric": "components.test.accuracy", "greater_is_better": True, "min_improvement": 0.0}


def _registered(python_model, version: str) -> RegisteredModel:
    return RegisteredModel("component-compliance", version, f"run-{version}", (), python_model)


def test_vocabulary_is_fitted_on_the_training_split_only():
    train = pd.DataFrame({"text": ["steel part 2001 good", "iron part 1980 poor"], "label": [0, 1]})
    vocabulary = fit_text_vectoriser(train, max_tokens=100)
    assert set(vocabulary) == {"", "[UNK]", "steel", "part", "2001", "good", "iron", "1980", "poor"}
    # "zircon" appears only in a test text: it maps to out-of-vocabulary ([UNK] = 1).
    tokens = vectorise_texts(["zircon part 2001 good"], vocabulary, sequence_length=5)
    assert tokens[0].tolist() == [1, *(vocabulary.index(w) for w in ("part", "2001", "good")), 0]


@pytest.mark.slow
def test_training_restores_the_weights_of_the_best_validation_epoch():
    model, history = trained_network()
    epochs = history["epochs_run"]
    assert 1 <= history["best_epoch"] <= epochs <= TRAINING["max_epochs"]
    assert all(len(history[key]) == epochs for key in EPOCH_METRICS)
    best = history["best_epoch"] - 1
    assert history["val_loss"][best] == min(history["val_loss"])
    # The model returned is the best epoch's, not the last one's: its validation loss is
    # the best epoch's figure.
    validation = generated_texts(300, seed=12)
    network = model.get_layer("component_compliance_network")
    tokens = model.get_layer("vectoriser")(validation["text"].to_numpy(dtype=object))
    loss, _ = network.evaluate(tokens, validation["label"].to_numpy(), verbose=0)
    assert loss == pytest.approx(history["val_loss"][best], rel=1e-3)
    assert history["val_accuracy"][best] >= 0.95


@pytest.mark.slow
def test_training_stops_when_validation_loss_stops_improving():
    train, validation = generated_texts(300, seed=4), generated_texts(100, seed=5)
    vocabulary = fit_text_vectoriser(train, max_tokens=1000)
    # No epoch can improve the loss by 10: the first is the best, one more is patience.
    never_better = {
        **TRAINING,
        "max_epochs": 20,
        "early_stopping": {"patience": 1, "min_delta": 10},
    }
    _, history = train_compliance_classifier(
        train, validation, vocabulary, SEQUENCE_LENGTH, MODEL, never_better, None, seed=3
    )
    assert (history["epochs_run"], history["best_epoch"]) == (2, 1)


@pytest.mark.slow
def test_a_glove_file_written_here_initialises_the_embedding(tmp_path: Path):
    train, validation = generated_texts(200, seed=4), generated_texts(100, seed=5)
    vocabulary = fit_text_vectoriser(train, max_tokens=1000)
    glove = tmp_path / "glove.16d.txt"
    vectors = {"steel": np.linspace(-1, 1, 16), "plastic": np.full(16, 0.5)}
    glove.write_text(
        "".join(f"{w} {' '.join(f'{x:.4f}' for x in v)}\n" for w, v in vectors.items())
    )
    frozen = {**MODEL, "embedding_trainable": False}
    one_epoch = {**TRAINING, "max_epochs": 1}
    model, _ = train_compliance_classifier(
        train, validation, vocabulary, SEQUENCE_LENGTH, frozen, one_epoch, str(glove), seed=3
    )
    network = model.get_layer("component_compliance_network")
    weights = network.get_layer("embedding").get_weights()[0]
    for word, vector in vectors.items():
        np.testing.assert_allclose(weights[vocabulary.index(word)], vector, atol=1e-4)
    with pytest.raises(FileNotFoundError, match="embeddings_path"):
        train_compliance_classifier(
            train, validation, vocabulary, 15, MODEL, one_epoch, str(tmp_path / "no.txt"), 3
        )


def test_training_summary_names_metrics_by_the_rule_with_epochs_from_one():
    history = {
        "loss": [0.5, 0.4],
        "accuracy": [0.8, 0.9],
        "val_loss": [0.45, 0.35],
        "val_accuracy": [0.85, 0.95],
        "best_epoch": 2,
    }
    figure, epoch_metrics = summarise_training(history)
    accuracy_axes = figure.axes[0]
    assert accuracy_axes.get_title() == "accuracy"
    curves = {line.get_label(): line for line in accuracy_axes.get_lines()}
    assert curves["training"].get_xdata().tolist() == [1, 2]  # epochs from 1
    assert curves["validation"].get_ydata().tolist() == [0.85, 0.95]
    assert set(epoch_metrics) == {
        "components.epoch.loss",
        "components.epoch.accuracy",
        "components.validation.loss",
        "components.validation.accuracy",
    }
    assert epoch_metrics["components.validation.loss"] == [
        {"step": 1, "value": 0.45},
        {"step": 2, "value": 0.35},
    ]


@pytest.mark.slow
def test_packaged_model_predicts_the_test_texts_through_its_pyfunc():
    model, _ = trained_network()
    package, card = package_compliance_model(model, ["Iron part, 1999"], 0.5, 500)
    assert card["vocabulary_size"] == len(model.get_layer("vectoriser").get_vocabulary())
    assert package.input_example["text"].tolist() == ["Iron part, 1999"]
    test = generated_texts(300, seed=6)
    predictions = predict_test_texts(_registered(package, "1"), test)
    assert list(predictions.columns) == ["text", "label", "probability", "predicted"]
    assert predictions["text"].tolist() == test["text"].tolist()
    assert (predictions["predicted"] == predictions["label"]).mean() >= 0.95


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
    assert (slices.loc["year_before_1995", "n"], slices.loc["year_1995_or_later", "n"]) == (1, 3)
    assert slices.loc["condition_fair", "accuracy"] == 0.0
    assert slices.loc["material_carbon_fiber", "n"] == 1
    reasons = result["misclassified"].set_index("text")["true_label_reason"]
    assert reasons["made in 1995 steel good condition"] == "compliant"
    assert reasons["made in 2010 carbon fiber fair condition"] == "condition fair"
    assert result["metrics"]["accuracy"] == 0.5
    assert result["metrics"]["recall_non_compliant"] == pytest.approx(2 / 3)
    expected_loss = -np.mean(np.log([0.9, 0.2, 0.7, 0.2]))
    assert result["metrics"]["loss"] == pytest.approx(expected_loss)
    mlflow_metrics = result["mlflow_metrics"]
    assert mlflow_metrics["components.test.accuracy"] == {"value": 0.5, "step": 0}
    assert mlflow_metrics["components.test.slice.year_1994.accuracy"]["value"] == 1.0
    assert all(key.startswith("components.test.") for key in mlflow_metrics)
    counts = result["confusion_matrix"].axes[0]
    assert counts.get_title() == "counts"
    # rows: true compliant, non-compliant; columns: predicted compliant, non-compliant
    assert [text.get_text() for text in counts.texts] == ["0", "1", "1", "2"]


@pytest.mark.slow
def test_the_gate_scores_both_models_on_the_same_texts_and_keeps_the_better_champion():
    test = generated_texts(300, seed=7)
    good, bad = _registered(trained_package(), "2"), _registered(untrained_package(), "1")
    first = score_promotion_candidates(good, None, test)
    assert first["champion"] is None
    assert first["challenger"] >= 0.95
    assert first["data"] == "component_texts_test: 300 texts (test split)"
    figures = analyse_classification_errors(predict_test_texts(good, test))["metrics"]
    assert first["challenger"] == figures["accuracy"]
    assert first["challenger_metrics"] == {
        f"components.test.{name}": figures[name]
        for name in ("accuracy", "macro_f1", "f1_non_compliant", "loss")
    }

    assert score_promotion_candidates(good, good, test)["champion"] is None

    # The untrained model as challenger against the trained champion: not promoted.
    worse = score_promotion_candidates(bad, good, test)
    assert worse["challenger"] < worse["champion"] == first["challenger"]
    decision, report = decide_promotion(bad, good, worse, GATE)
    assert decision is report
    assert decision["promoted"] is False
    assert "worse than champion v2" in decision["reason"]
