"""Shared classification metrics and figures, checked against hand-computed values."""

import numpy as np
import pytest
from matplotlib.figure import Figure

from mlops_lab.reporting.classification import (
    classification_metrics,
    confusion_matrix_figure,
    confusion_matrix_table,
    training_curves_figure,
)

CLASSES = ["event", "undefined", "nonevent"]
Y_TRUE = ["event", "event", "undefined", "nonevent", "nonevent", "nonevent"]
Y_PRED = ["event", "undefined", "undefined", "nonevent", "nonevent", "event"]


def test_metrics_match_hand_computation():
    metrics = classification_metrics(Y_TRUE, Y_PRED, CLASSES)
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    # event: tp=1, fp=1, fn=1 -> p=r=f1=0.5; undefined: tp=1, fp=1, fn=0 -> p=.5 r=1 f1=2/3
    # nonevent: tp=2, fp=0, fn=1 -> p=1 r=2/3 f1=0.8
    assert metrics["precision_event"] == pytest.approx(0.5)
    assert metrics["recall_undefined"] == pytest.approx(1.0)
    assert metrics["f1_nonevent"] == pytest.approx(0.8)
    assert metrics["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0.8) / 3)
    assert metrics["support_nonevent"] == 3


def test_confusion_table_rows_are_truth_and_sum_to_samples():
    table = confusion_matrix_table(Y_TRUE, Y_PRED, CLASSES)
    assert list(table.index) == CLASSES and list(table.columns) == CLASSES
    assert table.loc["nonevent", "event"] == 1
    assert table.to_numpy().sum() == len(Y_TRUE)
    np.testing.assert_array_equal(table.sum(axis=1).to_numpy(), [2, 1, 3])


def test_metrics_reject_empty_and_mismatched_inputs():
    with pytest.raises(ValueError, match="empty"):
        classification_metrics([], [], CLASSES)
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        classification_metrics(["a", "b", "c"], ["a", "b"], CLASSES)


def test_figures_have_named_axes():
    figure = confusion_matrix_figure(Y_TRUE, Y_PRED, CLASSES, "test")
    assert isinstance(figure, Figure)
    titled = {ax.get_title(): ax for ax in figure.axes}
    left, right = titled["counts"], titled["row-normalised (recall)"]
    assert [t.get_text() for t in left.get_xticklabels()] == CLASSES
    assert right.get_title().startswith("row-normalised")
    curves = training_curves_figure(
        {
            "accuracy": [0.5, 0.7],
            "val_accuracy": [0.4, 0.6],
            "loss": [1.0, 0.7],
            "val_loss": [1.1, 0.9],
        },
        "curves",
    )
    accuracy_axis = curves.axes[0]
    assert len(accuracy_axis.get_lines()) == 2
