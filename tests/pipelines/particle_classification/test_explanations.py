"""Occlusion explanations and the HTML report of particle_classification, on toy models
whose evidence is known and on the tiny tensors."""

from __future__ import annotations

import re

import keras
import numpy as np
import pandas as pd
import pytest

from mlops_lab.aerosol import explanations
from mlops_lab.aerosol.plots import diameter_edges_nm
from mlops_lab.aerosol.report import heldout_intervals
from mlops_lab.pipelines.particle_classification.nodes import (
    build_aerosol_report,
    describe_training_inputs,
    evaluate_classifiers,
    explain_cnn_days,
    plot_cnn_attributions,
    split_days,
)
from mlops_lab.reporting.classification import classification_metrics

from .test_nodes import SPLIT

REGION = (slice(0, 3), slice(60, 100))  # where tiny_model_input puts the event signal
SETTINGS = {"days_per_class": 2, "patch": {"channels": 2, "steps": 20}, "top_regions": 2}
REPORT = {
    "intended_use": "screening days",
    "limitations": "toy model",
    "bootstrap": {"resamples": 200, "seed": 0},
}


def _region_reader(rows: slice, steps: slice):
    """A toy two-class model: P(class 1) rises with the mean of one region of the image."""

    def predict(batch: np.ndarray) -> np.ndarray:
        signal = batch[:, rows, steps].mean(axis=(1, 2))
        event = 1 / (1 + np.exp(-10 * (signal - 0.5)))
        return np.stack([1 - event, event], axis=1)

    return predict


@pytest.mark.parametrize(
    ("rows", "steps", "top"),
    [(slice(2, 4), slice(24, 36), (1, 2)), (slice(6, 8), slice(0, 12), (3, 0))],
)
def test_the_patch_that_carries_the_signal_gets_the_top_attribution(rows, steps, top):
    days = np.full((3, 8, 48), 0.3, dtype=np.float32)
    days[:, rows, steps] = [[[0.9]], [[0.8]], [[0.2]]]  # two events and a quiet day
    result = explanations.occlusion(
        _region_reader(rows, steps), days, np.full((8, 48), 0.3, np.float32), (2, 12)
    )
    assert result.drops.shape == (3, 4, 4)
    assert result.channel_edges.tolist() == [0, 2, 4, 6, 8]
    assert result.step_edges.tolist() == [0, 12, 24, 36, 48]
    assert result.target.tolist() == [1, 1, 0]
    for day in range(2):
        assert np.unravel_index(result.drops[day].argmax(), (4, 4)) == top
        assert result.drops[day][top] > 0.5
        others = np.delete(result.drops[day].ravel(), np.ravel_multi_index(top, (4, 4)))
        assert np.abs(others).max() < 1e-6  # covering nothing of the region changes nothing
    # The quiet day's class (0) is supported by the region being quiet: covering it with
    # the brighter baseline raises P(event), so P(quiet) drops there too.
    assert np.unravel_index(result.drops[2].argmax(), (4, 4)) == top


def test_scoring_in_small_batches_gives_the_same_attributions():
    rows, steps = slice(2, 4), slice(24, 36)
    days = np.full((3, 8, 48), 0.3, dtype=np.float32)
    days[:, rows, steps] = [[[0.9]], [[0.8]], [[0.2]]]
    baseline = np.full((8, 48), 0.3, np.float32)
    calls: list[int] = []
    reader = _region_reader(rows, steps)

    def counting(batch: np.ndarray) -> np.ndarray:
        calls.append(len(batch))
        return reader(batch)

    whole = explanations.occlusion(reader, days, baseline, (2, 12))
    small = explanations.occlusion(counting, days, baseline, (2, 12), batch_size=10)
    assert calls == [10] * 5 + [1]  # 3 days + 3 x 16 covered copies = 51 images
    np.testing.assert_array_equal(small.drops, whole.drops)
    assert small.target.tolist() == whole.target.tolist()


def test_patches_tile_the_whole_image_and_a_wrong_patch_is_refused():
    assert explanations.patch_edges(10, 4).tolist() == [0, 4, 8, 10]
    with pytest.raises(ValueError, match="between 1 and 10"):
        explanations.patch_edges(10, 11)
    with pytest.raises(ValueError, match="baseline of channels x steps"):
        explanations.occlusion(
            _region_reader(slice(0, 1), slice(0, 1)), np.zeros((1, 4, 6)), np.zeros((4, 5)), (2, 2)
        )


def test_typical_correct_days_are_picked_per_class_and_columns_are_checked():
    predictions = pd.DataFrame(
        {
            "true_class": ["a", "a", "a", "a", "b", "b"],
            "cnn_class": ["a", "a", "a", "b", "a", "a"],
            "cnn_probability_a": [0.9, 0.5, 0.7, 0.3, 0.8, 0.6],
            "cnn_probability_b": [0.1, 0.5, 0.3, 0.7, 0.2, 0.4],
        }
    )
    # Correct "a" days by probability: 0.5, 0.7, 0.9 -> the middle one; no correct "b" day.
    assert explanations.pick_days(predictions, ["a", "b"], 1) == [2, 4]
    with pytest.raises(ValueError, match=r"missing columns \['cnn_probability_c'\]"):
        explanations.pick_days(predictions, ["a", "c"], 1)


def _region_network(classes: list[str]) -> keras.Model:
    """A Keras model with set weights: event when the signal region is bright, nonevent
    when it is as dark as the background, undefined between."""
    mask = np.zeros((8, 144), dtype=np.float32)
    mask[REGION] = 1 / mask[REGION].size
    inputs = keras.Input((8, 144))
    signal = keras.layers.Dense(1)(keras.layers.Flatten()(inputs))
    logits = keras.layers.Dense(len(classes), activation="softmax")(signal)
    model = keras.Model(inputs, logits)
    model.layers[2].set_weights([mask.reshape(-1, 1), np.array([-0.3], np.float32)])
    slope = {"event": 20.0, "undefined": 0.0, "nonevent": -20.0}
    offset = {"event": -4.5, "undefined": 0.0, "nonevent": 1.5}
    model.layers[3].set_weights(
        [
            np.array([[slope[c] for c in classes]], np.float32),
            np.array([offset[c] for c in classes], np.float32),
        ]
    )
    return model


@pytest.fixture
def explained(model_input) -> dict:
    split = split_days(model_input, "label3", SPLIT)
    network = _region_network(list(model_input["class_names"]["label3"]))
    evaluation = evaluate_classifiers(
        model_input, split, "label3", network, {"training_seconds": 0.0}, {}
    )
    attributions = explain_cnn_days(
        network, model_input, split, "label3", evaluation["predictions"], SETTINGS
    )
    return {"split": split, "evaluation": evaluation, "attributions": attributions}


def test_cnn_days_are_explained_where_the_event_signal_is(model_input, explained):
    attributions = explained["attributions"]
    predictions = explained["evaluation"]["predictions"]
    assert (
        attributions["true_class"]
        == ["event", "event", "undefined", "undefined"] + ["nonevent"] * 2
    )
    assert attributions["drops"].shape == (6, 4, 8)  # 8 channels / 2 x 144 steps / 20
    assert attributions["days"].shape == (6, 8, 144)
    # The days come back as dN/dlogDp: the inverse of the model input's scaling.
    first = predictions.index[predictions["date"] == attributions["dates"][0]][0]
    scaled = np.log10(attributions["days"][0] + 1.0) / 6.0
    test_rows = np.flatnonzero(
        pd.DatetimeIndex(model_input["dates"]).strftime("%Y-%m-%d").isin(explained["split"]["test"])
    )
    np.testing.assert_allclose(scaled, model_input["x"][test_rows[first]], rtol=1e-5)
    for day, name in enumerate(attributions["explained_class"]):
        if name == "event":  # the top patch lies in the signal region
            region = explanations.top_regions(attributions, day, 1)[0]
            assert 10.0 <= region["hour_from"] < region["hour_to"] <= 100 / 6 + 1e-9
            edges = diameter_edges_nm(model_input["diameters_nm"])
            assert region["d_high_nm"] <= edges[4] * (1 + 1e-9)  # channels 0-3
            assert region["drop"] > 0.01
    figure = plot_cnn_attributions(attributions, 2)
    titles = [ax.get_title() for ax in figure.axes]
    assert sum("when a patch is covered" in t for t in titles) == 6


def test_report_holds_the_model_card_intervals_and_one_figure_per_class(model_input, explained):
    split, evaluation = explained["split"], explained["evaluation"]
    promotion = {
        "model_name": "aerosol-event-classifier",
        "challenger": {"version": "3"},
        "reason": "no champion yet: the challenger becomes it",
    }
    html, copy = build_aerosol_report(
        evaluation["leaderboard"],
        evaluation["predictions"],
        describe_training_inputs(model_input, split),
        promotion,
        explained["attributions"],
        REPORT,
        2,
    )
    assert html == copy
    assert html.count("<h2>") == 2 and "<h2>Explanations</h2>" in html
    assert html.count("<img") == 4  # confusion matrix, one figure per class
    assert "version 3" in html and "screening days" in html
    accuracy = evaluation["leaderboard"]["accuracy"].iloc[0]
    assert f"{accuracy:.3f} [" in html


def test_interval_figures_are_those_of_the_classification_metrics():
    rng = np.random.default_rng(5)
    classes = ["event", "undefined", "nonevent"]
    truth = rng.choice(classes, 80)
    predicted = np.where(rng.random(80) < 0.7, truth, rng.choice(classes[:2], 80))
    frame = pd.DataFrame({"true_class": truth, "cnn_class": predicted})
    (row,) = heldout_intervals(frame, ["cnn"], classes, 300, 0).to_dict("records")
    scores = classification_metrics(truth, predicted, classes)
    for column, name in (("accuracy", "accuracy"), ("macro-F1", "macro_f1")):
        value, low, high = (
            float(v) for v in re.findall(r"[\d.]+", row[f"{column} [95 % interval]"])
        )
        assert value == pytest.approx(scores[name], abs=5e-4)
        assert low < value < high
    with pytest.raises(ValueError, match=r"class column of candidates \['tree'\]"):
        heldout_intervals(frame, ["cnn", "tree"], classes, 10, 0)
