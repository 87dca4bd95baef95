"""Nodes of ``particle_classification`` on tiny tensors, including bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlops_lab.aerosol.cnn import build_cnn
from mlops_lab.aerosol.features import day_features
from mlops_lab.pipelines.particle_classification.nodes import (
    describe_training_inputs,
    evaluate_classifiers,
    format_epoch_metrics,
    plot_confusion_matrix,
    plot_training_curves,
    split_days,
    train_baselines,
    train_cnn,
)

from .conftest import CNN

SPLIT = {
    "strategy": "time_blocks",
    "block_days": 7,
    "test_fraction": 0.25,
    "validation_fraction": 0.2,
    "test_years": [2005],
    "seed": 3,
}
BASELINES = [
    {
        "name": "feature_baseline",
        "kind": "feature_classifier",
        "estimator": "sklearn.ensemble.HistGradientBoostingClassifier",
        "settings": {"max_iter": 20, "learning_rate": 0.2, "max_leaf_nodes": 7},
        "threads": 1,
    },
    {"name": "majority_class", "kind": "majority_class"},
]


def test_time_block_split_holds_out_whole_blocks_with_every_class(model_input):
    split = split_days(model_input, "label5", SPLIT)
    parts = {p: pd.DatetimeIndex(split[p]) for p in ("train", "validation", "test")}
    assert sum(len(v) for v in parts.values()) == 90
    assert not set(parts["test"]) & set(parts["train"])
    start = pd.Timestamp("2005-01-01")
    for part, days in parts.items():
        blocks = set((days - start).days // 7)
        for block in blocks:  # every day of a block is in the same part
            in_block = [
                d for d in pd.date_range(start, periods=90) if (d - start).days // 7 == block
            ]
            assert set(in_block) <= set(days), part
    labels = pd.Series(model_input["label5"], index=pd.DatetimeIndex(model_input["dates"]))
    for days in parts.values():
        assert set(labels.loc[days]) == set(labels)
    assert split == split_days(model_input, "label5", SPLIT), "seeded"


def test_random_and_year_splits(model_input):
    random_split = split_days(model_input, "label3", {**SPLIT, "strategy": "random"})
    assert len(random_split["test"]) == round(90 * 0.25)
    two_years = {**model_input, "dates": pd.date_range("2004-11-15", periods=90).to_numpy()}
    by_year = split_days(two_years, "label3", {**SPLIT, "strategy": "years"})
    assert all(d.startswith("2005") for d in by_year["test"])
    assert not any(d.startswith("2005") for d in by_year["train"] + by_year["validation"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: {**m, "x": m["x"][:, :5, :]}, "expected days x 8 channels"),
        (lambda m: {**m, "x": np.where(np.arange(144) == 3, np.nan, m["x"])}, "NaN"),
        (lambda m: {**m, "x": m["x"][:0]}, "no days"),
    ],
    ids=["wrong channel count", "NaN", "empty set"],
)
def test_bad_model_inputs_are_refused(model_input, change, message):
    with pytest.raises(ValueError, match=message):
        split_days(change(model_input), "label3", SPLIT)
    with pytest.raises(ValueError, match=message):
        train_cnn(change(model_input), {"train": [], "validation": []}, "label3", CNN, 1)
    with pytest.raises(ValueError, match=message):
        train_baselines(
            change(model_input), SPLIT | {"train": [], "validation": []}, "label3", [], 1
        )


def test_unknown_scheme_strategy_and_empty_parts_are_refused(model_input):
    with pytest.raises(ValueError, match=r"label_scheme 'label7': expected one of \['label3'"):
        split_days(model_input, "label7", SPLIT)
    with pytest.raises(ValueError, match="split strategy 'months'"):
        split_days(model_input, "label3", {**SPLIT, "strategy": "months"})
    split = split_days(model_input, "label3", SPLIT)
    with pytest.raises(ValueError, match="0 validation days"):
        train_cnn(model_input, {**split, "validation": []}, "label3", CNN, 1)
    with pytest.raises(ValueError, match="no test days"):
        evaluate_classifiers(model_input, {**split, "test": []}, "label3", None, {}, {})


@pytest.mark.parametrize(("scheme", "n_classes"), [("label3", 3), ("label4", 4), ("label5", 5)])
def test_cnn_outputs_one_probability_per_class_of_the_scheme(model_input, scheme, n_classes):
    split = split_days(model_input, scheme, SPLIT)
    trained = train_cnn(model_input, split, scheme, CNN, seed=1)
    probabilities = trained["model"].predict(model_input["x"][:4], verbose=0)
    assert probabilities.shape == (4, n_classes)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    member = trained["history"]["members"][0]
    assert len(member["loss"]) == len(member["val_accuracy"]) == 1


def test_cnn_stops_early_and_keeps_its_best_epoch(model_input):
    """A learning rate far too high diverges: training stops and the best weights return."""
    split = split_days(model_input, "label3", SPLIT)
    settings = {
        **CNN,
        "epochs": 30,
        "patience": 2,
        "architecture": {**CNN["architecture"], "learning_rate": 0.05},
    }
    trained = train_cnn(model_input, split, "label3", settings, seed=1)
    member = trained["history"]["members"][0]
    epochs = len(member["val_loss"])
    assert epochs < 30, "early stopping never stopped"
    assert member["best_epoch"] == int(np.argmin(member["val_loss"])) + 1
    assert epochs - member["best_epoch"] == 2  # stopped `patience` epochs after the best
    validation = (
        pd.DatetimeIndex(model_input["dates"]).strftime("%Y-%m-%d").isin(split["validation"])
    )
    classes = model_input["class_names"]["label3"]
    y = np.eye(3)[[classes.index(v) for v in model_input["label3"][validation]]]
    loss = trained["model"].evaluate(model_input["x"][validation], y, verbose=0)[0]
    assert loss == pytest.approx(min(member["val_loss"]), rel=1e-4)  # best weights restored


def test_cnn_architecture_follows_the_lab_by_default():
    lab = {
        "filters": [32, 32, 32],
        "kernel_size": [3, 3],
        "pool_size": [2, 2],
        "dropout": 0.5,
        "dense_units": 50,
        "learning_rate": 0.001,
    }
    model = build_cnn((40, 144), 3, lab)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.count("Conv2D") == 3 and kinds.count("MaxPooling2D") == 3
    assert model.layers[-1].units == 3 and model.layers[-3].units == 50


def test_evaluation_scores_every_candidate_on_the_same_test_days(model_input):
    split = split_days(model_input, "label3", SPLIT)
    cnn = train_cnn(model_input, split, "label3", {**CNN, "ensemble_size": 2}, seed=1)
    baselines = train_baselines(model_input, split, "label3", BASELINES, seed=1)
    result = evaluate_classifiers(
        model_input, split, "label3", cnn["model"], cnn["history"], baselines
    )
    board = result["leaderboard"].set_index("model")
    assert list(result["leaderboard"]["model"]) == sorted(
        board.index, key=lambda m: -board.loc[m, "macro_f1"]
    )
    assert set(board.index) == {"cnn", "feature_baseline", "majority_class"}
    n_test = len(split["test"])
    assert (board["test_days"] == n_test).all()
    assert (board["data"] == "synthetic test tensors").all()
    # The tiny tensors carry a strong class signal: the feature model finds it.
    assert (
        board.loc["feature_baseline", "accuracy"] >= board.loc["majority_class", "accuracy"] + 0.3
    )
    predictions = result["predictions"]
    truth = predictions["true_class"]
    # The majority class is the most frequent class of the days it was fitted on.
    fitted_on = pd.Series(model_input["label3"])[
        pd.DatetimeIndex(model_input["dates"])
        .strftime("%Y-%m-%d")
        .isin(split["train"] + split["validation"])
    ]
    assert set(predictions["majority_class_class"]) == {fitted_on.value_counts().idxmax()}
    assert board.loc["majority_class", "accuracy"] == pytest.approx(
        (truth == fitted_on.value_counts().idxmax()).mean()
    )
    for name in board.index:
        accuracy = (predictions[f"{name}_class"] == truth).mean()
        assert result["metrics"][f"aerosol.heldout.{name}.accuracy"]["value"] == pytest.approx(
            accuracy
        )
        assert board.loc[name, "accuracy"] == pytest.approx(accuracy)
    confusion = result["confusion"].set_index("true")
    assert list(confusion.columns) == ["event", "undefined", "nonevent"]
    assert np.trace(confusion.to_numpy()) == (predictions["cnn_class"] == truth).sum()
    assert confusion.to_numpy().sum() == n_test
    probabilities = predictions[[f"cnn_probability_{c}" for c in confusion.columns]].to_numpy()
    chosen = np.array(confusion.columns)[probabilities.argmax(axis=1)]
    assert (chosen == predictions["cnn_class"]).all()


def test_figures_show_the_data_and_every_member(model_input):
    split = split_days(model_input, "label3", SPLIT)
    cnn = train_cnn(model_input, split, "label3", {**CNN, "ensemble_size": 2}, seed=1)
    predictions = pd.DataFrame(
        {"true_class": ["event", "nonevent", "event"], "cnn_class": ["event", "event", "event"]}
    )
    confusion = plot_confusion_matrix(predictions, model_input, "label3")
    assert "synthetic test tensors" in confusion._suptitle.get_text()
    counts = confusion.axes[0].images[0].get_array()
    assert counts.tolist() == [[2, 0, 0], [0, 0, 0], [1, 0, 0]]
    curves = plot_training_curves(cnn["history"], model_input)
    assert "2 member(s) - synthetic test tensors" in curves._suptitle.get_text()
    assert len(curves.axes[1].lines) == 4  # training + validation loss of both members


def test_epoch_metrics_follow_the_naming_rule_with_steps_from_1(model_input):
    history = {
        "members": [
            {"loss": [1.0, 0.5], "val_loss": [1.1, 0.9], "best_epoch": 2},
            {"loss": [0.8], "val_loss": [0.7], "best_epoch": 1},
        ],
        "training_seconds": 3.0,
    }
    metrics = format_epoch_metrics(history)
    assert set(metrics) == {
        "aerosol.epoch.cnn.m1.loss",
        "aerosol.epoch.cnn.m1.val_loss",
        "aerosol.epoch.cnn.m2.loss",
        "aerosol.epoch.cnn.m2.val_loss",
    }
    assert metrics["aerosol.epoch.cnn.m1.val_loss"] == [
        {"step": 1, "value": 1.1},
        {"step": 2, "value": 0.9},
    ]


def test_training_inputs_are_described(model_input):
    split = split_days(model_input, "label3", SPLIT)
    described = describe_training_inputs(model_input, split)
    assert described["days"] == 90 and described["split_sizes"]["test"] == len(split["test"])
    assert described["first_day"] == "2005-01-01" and described["last_day"] == "2005-03-31"
    changed = {**model_input, "x": model_input["x"] + 0.01}
    assert describe_training_inputs(changed, split)["x_sha256_16"] != described["x_sha256_16"]


def test_features_have_fixed_columns_and_refuse_a_wrong_grid(model_input):
    features = day_features(model_input["x"], model_input["diameters_nm"])
    assert features.shape[0] == 90 and np.isfinite(features.to_numpy()).all()
    assert (
        features["small_midday_minus_night"].iloc[0] > features["small_midday_minus_night"].iloc[4]
    )
    with pytest.raises(ValueError, match="expected days x 7 channels"):
        day_features(model_input["x"], model_input["diameters_nm"][:7])
