"""Nodes of ``particle_classification`` on tiny tensors, including bad inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mlops_lab.aerosol.cnn import build_cnn
from mlops_lab.aerosol.features import day_features
from mlops_lab.pipelines.particle_classification.nodes import (
    describe_training_inputs,
    evaluate_classifiers,
    format_epoch_metrics,
    plot_confusion_matrix,
    plot_training_curves,
    split_days,
    train_cnn,
    train_feature_baseline,
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
BASELINE = {"max_iter": 20, "learning_rate": 0.2, "max_leaf_nodes": 7}


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


def test_unknown_scheme_and_strategy_are_refused(model_input):
    with pytest.raises(ValueError, match="label_scheme 'label7'"):
        split_days(model_input, "label7", SPLIT)
    with pytest.raises(ValueError, match="split strategy 'months'"):
        split_days(model_input, "label3", {**SPLIT, "strategy": "months"})


@pytest.mark.parametrize(("scheme", "n_classes"), [("label3", 3), ("label4", 4), ("label5", 5)])
def test_cnn_outputs_one_probability_per_class_of_the_scheme(model_input, scheme, n_classes):
    split = split_days(model_input, scheme, SPLIT)
    trained = train_cnn(model_input, split, scheme, CNN, seed=1)
    probabilities = trained["model"].predict(model_input["x"][:4], verbose=0)
    assert probabilities.shape == (4, n_classes)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    member = trained["history"]["members"][0]
    assert len(member["loss"]) == len(member["val_accuracy"]) == 1
    assert trained["history"]["training_seconds"] > 0


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


def test_ensemble_evaluation_baselines_and_figures(model_input):
    split = split_days(model_input, "label3", SPLIT)
    cnn = train_cnn(model_input, split, "label3", {**CNN, "ensemble_size": 2}, seed=1)
    baseline = train_feature_baseline(model_input, split, "label3", BASELINE, seed=1)
    result = evaluate_classifiers(
        model_input, split, "label3", cnn["model"], cnn["history"], baseline
    )
    board = result["leaderboard"].set_index("model")
    assert set(board.index) == {"cnn", "feature_baseline", "majority_class"}
    n_test = len(split["test"])
    assert (board["test_days"] == n_test).all()
    assert board.loc["feature_baseline", "accuracy"] > board.loc["majority_class", "accuracy"]
    confusion = result["confusion"].set_index("true")
    assert confusion.to_numpy().sum() == n_test
    assert list(confusion.columns) == ["event", "undefined", "nonevent"]
    assert result["metrics"]["cnn.accuracy"]["step"] == 0
    assert 0 <= result["metrics"]["majority_class.macro_f1"]["value"] <= 1
    assert len(result["predictions"]) == n_test
    assert isinstance(plot_confusion_matrix(result["predictions"], model_input, "label3"), Figure)
    curves = plot_training_curves(cnn["history"])
    assert "simulated" in curves._suptitle.get_text()
    history = format_epoch_metrics(cnn["history"])
    assert set(history) == {
        f"cnn.m{i}.{k}" for i in (0, 1) for k in ("loss", "accuracy", "val_loss", "val_accuracy")
    }
    assert history["cnn.m1.loss"][0]["step"] == 1
    described = describe_training_inputs(model_input, split)
    assert described["days"] == 90 and described["split_sizes"]["test"] == n_test


def test_features_have_fixed_columns_and_refuse_a_wrong_grid(model_input):
    features = day_features(model_input["x"], model_input["diameters_nm"])
    assert features.shape[0] == 90 and np.isfinite(features.to_numpy()).all()
    assert (
        features["small_midday_minus_night"].iloc[0] > features["small_midday_minus_night"].iloc[4]
    )
    with pytest.raises(ValueError, match="expected days x 7 channels"):
        day_features(model_input["x"], model_input["diameters_nm"][:7])
