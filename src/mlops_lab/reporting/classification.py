"""Classification metrics, confusion matrices and training curves.

Figures are built with :class:`matplotlib.figure.Figure` directly (no pyplot state, no
backend switching) and returned to the catalog, which saves or logs them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def _as_labels(values: Sequence) -> np.ndarray:
    return np.asarray(list(values)).astype(str)


def classification_metrics(
    y_true: Sequence, y_pred: Sequence, class_names: Sequence[str]
) -> dict[str, float]:
    """Accuracy, macro-F1 and per-class precision/recall/F1/support as a flat dict."""
    truth, pred = _as_labels(y_true), _as_labels(y_pred)
    if len(truth) == 0:
        raise ValueError("classification_metrics: no samples to evaluate (empty y_true).")
    if len(truth) != len(pred):
        raise ValueError(
            f"classification_metrics: y_true has {len(truth)} labels but y_pred has {len(pred)}."
        )
    names = [str(name) for name in class_names]
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, pred, labels=names, zero_division=0
    )
    metrics = {
        "accuracy": float(accuracy_score(truth, pred)),
        "macro_f1": float(np.mean(f1)),
        "n_samples": float(len(truth)),
    }
    for name, p, r, f, s in zip(names, precision, recall, f1, support, strict=True):
        metrics[f"precision_{name}"] = float(p)
        metrics[f"recall_{name}"] = float(r)
        metrics[f"f1_{name}"] = float(f)
        metrics[f"support_{name}"] = float(s)
    return metrics


def confusion_matrix_table(
    y_true: Sequence, y_pred: Sequence, class_names: Sequence[str]
) -> pd.DataFrame:
    """Counts with true classes as rows and predicted classes as columns."""
    names = [str(name) for name in class_names]
    counts = confusion_matrix(_as_labels(y_true), _as_labels(y_pred), labels=names)
    table = pd.DataFrame(
        counts,
        index=pd.Index(names, name="true"),
        columns=pd.Index(names, name="predicted"),
    )
    return table


def _draw_matrix(ax, matrix: np.ndarray, names: list[str], title: str, fmt: str) -> None:
    image = ax.imshow(matrix, cmap="Blues", vmin=0)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    ax.set_xticks(range(len(names)), labels=names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), labels=names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    threshold = matrix.max() / 2 if matrix.size and matrix.max() > 0 else 0.5
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(
                j,
                i,
                format(matrix[i, j], fmt),
                ha="center",
                va="center",
                color="white" if matrix[i, j] > threshold else "black",
            )


def confusion_matrix_figure(
    y_true: Sequence, y_pred: Sequence, class_names: Sequence[str], title: str
) -> Figure:
    """Counts and row-normalised confusion matrices side by side, class names on the axes."""
    table = confusion_matrix_table(y_true, y_pred, class_names)
    counts = table.to_numpy()
    row_sums = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, row_sums, out=np.zeros_like(counts, float), where=row_sums > 0)
    names = list(table.index)
    figure = Figure(figsize=(6 + 2.2 * len(names), 3 + 0.9 * len(names)), layout="constrained")
    left, right = figure.subplots(1, 2)
    _draw_matrix(left, counts, names, "counts", "d")
    _draw_matrix(right, normalised, names, "row-normalised (recall)", ".2f")
    figure.suptitle(title)
    return figure


def training_curves_figure(history: dict[str, Sequence[float]], title: str) -> Figure:
    """Accuracy and loss per epoch, training and validation, side by side."""
    figure = Figure(figsize=(11, 4), layout="constrained")
    axes = figure.subplots(1, 2)
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        plotted = False
        for key, style in ((metric, "-o"), (f"val_{metric}", "--s")):
            values = history.get(key)
            if values is None or len(values) == 0:
                continue
            epochs = np.arange(1, len(values) + 1)
            label = "validation" if key.startswith("val_") else "training"
            ax.plot(epochs, list(values), style, label=label)
            plotted = True
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.set_title(metric)
        if plotted:
            ax.legend()
        ax.grid(alpha=0.3)
    figure.suptitle(title)
    return figure
