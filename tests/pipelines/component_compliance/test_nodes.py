"""Nodes of ``component_compliance`` on tiny data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.components.small_model import (
    MODEL,
    TRAINING,
    WINDOW,
    generated_texts,
    trained_network,
    trained_package,
    untrained_package,
)

from mlops_lab.pipelines.component_compliance.nodes import (
    EPOCH_METRICS,
    PROMOTION_METRICS,
    analyse_classification_errors,
    calibrate_compliance_model,
    calibrate_tfidf_classifier,
    fit_text_vectoriser,
    fit_tfidf_classifier,
    package_compliance_model,
    package_tfidf_model,
    predict_test_texts,
    rank_compliance_candidates,
    register_compliance_challenger,
    score_promotion_candidates,
    summarise_training,
    train_compliance_classifier,
)
from mlops_lab.promotion import decide_promotion
from mlops_lab.registry import RegisteredModel
from mlops_lab.validation import InputValidationError

GATE = {"metric": "components.test.accuracy", "greater_is_better": True, "min_improvement": 0.0}
EVALUATION = {
    "late_fact_token": 15,
    "length_bands": [15, 25, 40],
    "bootstrap": {"resamples": 200, "level": 0.95, "seed": 0},
}


def _registered(python_model, version: str) -> RegisteredModel:
    return RegisteredModel("component-compliance", version, f"run-{version}", (), python_model)


def test_vocabulary_and_window_are_fitted_on_the_training_split_only():
    train = pd.DataFrame({"text": ["steel part 2001 good", "iron 1980 poor" + " x" * 40]})
    spec = fit_text_vectoriser(train, max_tokens=100, window=WINDOW)
    assert set(spec["vocabulary"]) == {"", "[UNK]", *"steel part 2001 good iron 1980 poor x"}
    longest = len(train["text"].iloc[1])
    assert spec["longest_training_note"] == longest
    assert spec["sequence_length"] >= longest and spec["sequence_length"] % 8 == 0
    assert spec["training_notes_longer"] == 0


@pytest.mark.slow
def test_training_restores_the_weights_of_the_best_validation_epoch():
    model, history, _ = trained_network()
    epochs = history["epochs_run"]
    assert 1 <= history["best_epoch"] <= epochs <= TRAINING["max_epochs"]
    assert all(len(history[key]) == epochs for key in EPOCH_METRICS)
    best = history["best_epoch"] - 1
    assert history["val_loss"][best] == min(history["val_loss"])
    # The model returned is the best epoch's, not the last one's: its validation loss is
    # the best epoch's figure.
    validation = generated_texts(400, seed=12)
    network = model.get_layer("component_compliance_network")
    tokens = model.get_layer("vectoriser")(validation["text"].to_numpy(dtype=object))
    loss, _ = network.evaluate(tokens, validation["label"].to_numpy(), verbose=0)
    assert loss == pytest.approx(history["val_loss"][best], rel=1e-3)
    assert history["val_accuracy"][best] >= 0.93
    assert history["notes_left_out"] == 0


def _train_on_small_notes(training: dict) -> tuple:
    """Train the small network on 300 generated notes (100 for validation) with ``training``;
    the model, its history and the number of training notes."""
    train, validation = generated_texts(300, seed=4), generated_texts(100, seed=5)
    spec = fit_text_vectoriser(train, max_tokens=100, window=WINDOW)
    model, history = train_compliance_classifier(train, validation, spec, MODEL, training, seed=3)
    return model, history, len(train)


@pytest.mark.slow
def test_training_stops_when_validation_loss_stops_improving():
    # No epoch can improve the loss by 10: the first is the best, one more is patience.
    never_better = {
        **TRAINING,
        "max_epochs": 20,
        "early_stopping": {"patience": 1, "min_delta": 10},
    }
    _, history, _ = _train_on_small_notes(never_better)
    assert (history["epochs_run"], history["best_epoch"]) == (2, 1)


@pytest.mark.slow
def test_cosine_schedule_ends_at_its_final_fraction_of_the_learning_rate():
    cosine = {
        **TRAINING,
        "max_epochs": 2,
        "schedule": "cosine",
        "final_fraction": 0.1,
        "early_stopping": {"patience": 5, "min_delta": 0.0},
    }
    model, history, n_train = _train_on_small_notes(cosine)
    optimizer = model.get_layer("component_compliance_network").optimizer
    steps = history["epochs_run"] * -(-n_train // TRAINING["batch_size"])
    assert int(optimizer.iterations) == steps
    assert float(optimizer.learning_rate) == pytest.approx(0.1 * TRAINING["learning_rate"])


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"schedule": "linear"}, r"training\.schedule must be 'constant' or 'cosine'"),
        (
            {"schedule": "cosine", "final_fraction": "abc"},
            r"training\.final_fraction must be a number in \[0, 1\], got 'abc'",
        ),
        (
            {"schedule": "cosine", "final_fraction": 1.5},
            r"training\.final_fraction must be a number in \[0, 1\], got 1\.5",
        ),
    ],
)
def test_a_bad_learning_rate_schedule_is_refused_by_name(setting, message):
    train = generated_texts(50, seed=4)
    spec = fit_text_vectoriser(train, max_tokens=100, window=WINDOW)
    with pytest.raises(ValueError, match=message):
        train_compliance_classifier(train, train, spec, MODEL, {**TRAINING, **setting}, seed=3)


def test_calibration_fits_a_temperature_and_a_threshold_for_the_recall_floor():
    model, _, _ = trained_network()
    validation = generated_texts(400, seed=12)
    floor = {"bins": 10, "recall_floor": 0.99, "max_threshold": 0.5}
    result, figure, metrics = calibrate_compliance_model(model, validation, floor)
    assert result["validation_recall_at_threshold"] >= 0.99
    assert 0 < result["threshold"] <= 0.5
    assert result["ece_calibrated"] <= result["ece_raw"] + 1e-9
    assert metrics["components.validation.temperature"]["value"] == result["temperature"]
    assert figure.axes[0].get_xlabel() == "mean predicted probability of non-compliance"
    strict = calibrate_compliance_model(model, validation, floor | {"recall_floor": 1.0})[0]
    assert strict["threshold"] <= result["threshold"]
    assert strict["validation_recall_at_threshold"] == 1.0


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
    model, _, spec = trained_network()
    calibration = {"temperature": 1.5, "threshold": 0.3}
    package, card = package_compliance_model(model, calibration, ["Iron part, 1999"], 500)
    assert card["vocabulary_size"] == len(model.get_layer("vectoriser").get_vocabulary())
    assert card["sequence_length"] == package.sequence_length == spec["sequence_length"]
    assert (package.temperature, package.threshold) == (1.5, 0.3)
    assert package.input_example["text"].tolist() == ["Iron part, 1999"]
    test = generated_texts(300, seed=6)
    predictions = predict_test_texts(_registered(package, "1"), test)
    assert list(predictions.columns) == [
        "text",
        "label",
        "probability",
        "predicted",
        "refused",
        "family",
        "hard_case",
        "fact_token",
        "model_name",
        "model_version",
    ]
    assert set(predictions["model_version"]) == {"1"}
    assert predictions["text"].tolist() == test["text"].tolist()
    assert (predictions["predicted"] == predictions["label"]).mean() >= 0.93
    assert not predictions["refused"].any()
    # A note longer than the window is refused, counted as called non-compliant.
    long_note = test.iloc[[0]].assign(text="made of steel good 2001 " + "x" * 400, label=0)
    refused = predict_test_texts(_registered(package, "1"), long_note)
    assert refused[["refused", "predicted", "probability"]].iloc[0].tolist() == [True, 1, 1.0]


def test_error_analysis_slices_and_reasons():
    predictions = pd.DataFrame(
        {
            "text": [
                "made in 1994 steel good condition",
                "made in 1995 steel good condition",
                "made in 1995 plastic new condition",
                "odometer 84 312 km wo 12345 p n 8 x tech note customer waiting made in 2010 "
                "carbon fiber fair condition",
            ],
            "label": [1, 0, 1, 1],
            "probability": [0.9, 0.8, 0.7, 0.2],
            "predicted": [1, 1, 1, 0],
            "family": ["a", "a", "b", "b"],
            "hard_case": ["boundary", "boundary", "none", "none"],
            "fact_token": [2, 2, 3, 20],
        }
    )
    result = analyse_classification_errors(predictions, EVALUATION)
    slices = result["slices"].set_index(["slice", "model"])
    assert slices.loc[("all", "model"), "accuracy"] == 0.5
    assert slices.loc[("hard_case_boundary", "model"), "accuracy"] == 0.5
    late = slices.loc[("fact_after_token_15", "model")]
    assert (late["n"], late["recall_non_compliant"]) == (1, 0.0)
    assert slices.loc[("fact_after_token_15", "rule_reader"), "recall_non_compliant"] == 1.0
    assert slices.loc[("words_16_25", "model"), "n"] == 1
    assert (
        slices.loc[("all", "model"), "accuracy_low"]
        <= 0.5
        <= slices.loc[("all", "model"), "accuracy_high"]
    )
    wrong = result["misclassified"].set_index("hard_case")
    assert wrong.loc["boundary", "true_label_reason"] == "compliant"
    assert wrong.loc["none", "true_label_reason"] == "condition fair"
    assert wrong.loc["none", "slices"] == "fact_after_token_15; hard_case_none; words_16_25"
    assert result["metrics"]["accuracy"] == 0.5
    assert result["metrics"]["recall_non_compliant"] == pytest.approx(2 / 3)
    expected_loss = -np.mean(np.log([0.9, 0.2, 0.7, 0.2]))
    assert result["metrics"]["loss"] == pytest.approx(expected_loss)
    mlflow_metrics = result["mlflow_metrics"]
    assert mlflow_metrics["components.test.accuracy"] == {"value": 0.5, "step": 0}
    key = "components.test.slice.fact_after_token_15.recall_non_compliant"
    assert mlflow_metrics[key]["value"] == 0.0
    key = "components.test.slice.fact_after_token_15.rule_reader.recall_non_compliant"
    assert mlflow_metrics[key]["value"] == 1.0
    assert all(key.startswith("components.test.") for key in mlflow_metrics)
    counts = result["confusion_matrix"].axes[0]
    assert counts.get_title() == "counts"
    # rows: true compliant, non-compliant; columns: predicted compliant, non-compliant
    assert [text.get_text() for text in counts.texts] == ["0", "1", "1", "2"]


BASELINE = {"ngram_range": [2, 4], "max_features": 20000, "C": 10.0}
CALIBRATION = {"bins": 10, "recall_floor": 0.99, "max_threshold": 0.5}


def _tfidf_package(train, validation, spec, baseline=BASELINE):
    pipeline = fit_tfidf_classifier(train, spec, baseline, seed=0)
    calibration, _ = calibrate_tfidf_classifier(pipeline, validation, spec, CALIBRATION)
    return package_tfidf_model(pipeline, calibration, spec, ["Iron part, 1999"], 500), calibration


def test_tfidf_candidate_is_calibrated_and_served_like_the_network():
    train, validation = generated_texts(1500, seed=31), generated_texts(400, seed=33)
    spec = {"sequence_length": 200}
    package, calibration = _tfidf_package(train, validation, spec)
    assert calibration["validation_recall_at_threshold"] >= 0.99
    assert (package.threshold, package.temperature) == (
        calibration["threshold"],
        calibration["temperature"],
    )
    network = untrained_package(sequence_length=200)
    texts = ["Made of PLASTIC, good condition, 2010.", "steel, new, made in 2004"]
    for model in (package, network):
        out = model.predict(None, pd.DataFrame({"text": texts}))
        assert list(out.columns) == ["probability", "label"]
        assert out["probability"].between(0, 1).all()
        assert model.signature().to_dict() == network.signature().to_dict()
    assert package.classify(texts)["label"].tolist() == [1, 0]
    long_note = "steel good 2001 " + "x" * 300
    reasons = {model.rejection_reason(long_note) for model in (package, network)}
    assert len(reasons) == 1 and "window of 200 characters" in reasons.pop()
    with pytest.raises(InputValidationError, match="row: reason"):
        package.classify([long_note])


def test_ranking_scores_both_candidates_and_the_rule_on_the_same_notes():
    train, validation = generated_texts(1500, seed=31), generated_texts(400, seed=33)
    test = generated_texts(300, seed=32)
    spec = {"sequence_length": 256}
    baseline, _ = _tfidf_package(train, validation, spec)
    network = untrained_package(sequence_length=256)  # probabilities ~0.5: a poor candidate
    result = rank_compliance_candidates(
        network, baseline, test, {"resamples": 100, "level": 0.95, "seed": 0}
    )
    board = result["leaderboard"]
    rows = board.set_index("model")
    assert rows.loc["tfidf_logreg", "accuracy"] > 0.85  # it learns from the training notes
    assert result["ranking"]["best"] == "tfidf_logreg"
    assert result["ranking"]["runner_up"] == "char_bilstm"
    assert result["ranking"]["accuracy"]["tfidf_logreg"] == rows.loc["tfidf_logreg", "accuracy"]
    assert board["accuracy"].is_monotonic_decreasing
    assert np.isnan(rows.loc["rule_reader", "ece"])  # the rule gives no probability
    assert rows.loc["tfidf_logreg", "ece_low"] <= rows.loc["tfidf_logreg", "ece"]
    predictions = result["predictions"]
    counts = predictions.groupby("model").size().to_dict()
    assert counts == {"char_bilstm": 300, "tfidf_logreg": 300}
    assert set(result["mlflow_metrics"]) == {
        f"components.test.{model}.{figure}"
        for model in ("char_bilstm", "tfidf_logreg", "rule_reader")
        for figure in ("accuracy", "recall_non_compliant", "precision_non_compliant")
    }
    # The challenger's registration refuses a runner-up that is not the ranked one.
    wrong = _registered(baseline, "1")
    with pytest.raises(ValueError, match="another registration came in between"):
        register_compliance_challenger(network, baseline, result["ranking"], wrong)


@pytest.mark.slow
def test_the_gate_scores_both_models_on_the_same_texts_and_keeps_the_better_champion():
    test = generated_texts(300, seed=7)
    good, bad = _registered(trained_package(), "2"), _registered(untrained_package(), "1")
    first = score_promotion_candidates(good, None, predict_test_texts(good, test), test)
    assert first["champion"] is None
    assert first["challenger"] >= 0.93
    families = test["family"].nunique()
    assert first["data"] == (
        f"component_texts_test: 300 notes of {families} template families held out of "
        "training; challenger: char_bilstm"
    )
    figures = analyse_classification_errors(predict_test_texts(good, test), EVALUATION)["metrics"]
    assert first["challenger"] == figures["accuracy"]
    assert first["challenger_metrics"] == {
        f"components.test.{name}": figures[name] for name in PROMOTION_METRICS
    }

    assert (
        score_promotion_candidates(good, good, predict_test_texts(good, test), test)["champion"]
        is None
    )
    with pytest.raises(ValueError, match="predictions are of version"):
        score_promotion_candidates(bad, good, predict_test_texts(good, test), test)

    # The untrained model as challenger against the trained champion: not promoted.
    worse = score_promotion_candidates(bad, good, predict_test_texts(bad, test), test)
    assert worse["challenger"] < worse["champion"] == first["challenger"]
    decision, report = decide_promotion(bad, good, worse, GATE)
    assert decision is report
    assert decision["promoted"] is False
    assert "worse than champion v2" in decision["reason"]
