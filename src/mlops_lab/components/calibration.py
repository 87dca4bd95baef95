"""Temperature scaling, expected calibration error, reliability diagram, safe threshold.

The network outputs a logit; the packaged model reports ``sigmoid(logit / T)``. ``T`` is
fitted on validation notes (never the test notes) by minimising the log loss. The
decision threshold is then chosen on the calibrated validation probabilities so that the
recall on non-compliant notes reaches a floor: missing a non-compliant part costs more
than a false alarm.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from scipy.optimize import minimize_scalar


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """``1 / (1 + exp(-logit / temperature))``, computed without overflow."""
    scaled = np.asarray(logits, dtype="float64") / float(temperature)
    return np.exp(-np.logaddexp(0.0, -scaled))


def _log_loss(logits: np.ndarray, labels: np.ndarray, temperature: float) -> float:
    scaled = logits / temperature
    # -[y log s(z) + (1-y) log(1-s(z))] = log(1 + e^z) - y z
    return float(np.mean(np.logaddexp(0.0, scaled) - labels * scaled))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [0.05, 100] that minimises the log loss of ``labels``."""
    logits = np.asarray(logits, dtype="float64")
    labels = np.asarray(labels, dtype="float64")
    result = minimize_scalar(
        lambda log_t: _log_loss(logits, labels, float(np.exp(log_t))),
        bounds=(np.log(0.05), np.log(100.0)),
        method="bounded",
    )
    return float(np.exp(result.x))


def reliability_bins(
    probabilities: np.ndarray, labels: np.ndarray, bins: int
) -> list[dict[str, float]]:
    """Equal-width bins of the probability of non-compliance: count, mean probability and
    observed share of non-compliant notes per non-empty bin."""
    probabilities = np.asarray(probabilities, dtype="float64")
    labels = np.asarray(labels, dtype="float64")
    index = np.minimum((probabilities * bins).astype(int), bins - 1)
    rows = []
    for b in range(bins):
        mask = index == b
        if mask.any():
            rows.append(
                {
                    "low": b / bins,
                    "high": (b + 1) / bins,
                    "n": int(mask.sum()),
                    "mean_probability": float(probabilities[mask].mean()),
                    "observed_share": float(labels[mask].mean()),
                }
            )
    return rows


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int) -> float:
    """Sum over bins of (share of notes) x |mean probability - observed share|."""
    rows = reliability_bins(probabilities, labels, bins)
    total = sum(row["n"] for row in rows)
    return float(
        sum(row["n"] / total * abs(row["mean_probability"] - row["observed_share"]) for row in rows)
    )


def recall_floor_threshold(
    probabilities: np.ndarray, labels: np.ndarray, recall_floor: float, max_threshold: float
) -> float:
    """The highest threshold (at most ``max_threshold``) whose recall on non-compliant
    notes (``probability >= threshold``) is at least ``recall_floor``.

    Raises:
        ValueError: when there is no non-compliant note to measure the recall on.
    """
    positives = np.sort(np.asarray(probabilities, dtype="float64")[np.asarray(labels) == 1])
    if positives.size == 0:
        raise ValueError("recall_floor_threshold: no non-compliant note in the validation split.")
    allowed_misses = int(np.floor(positives.size * (1 - recall_floor) + 1e-9))
    return float(min(max_threshold, positives[allowed_misses]))


def reliability_figure(curves: dict[str, list[dict[str, float]]], title: str) -> Figure:
    """Observed share against mean probability per bin, one line per curve, and the diagonal."""
    figure = Figure(figsize=(5, 5))
    axes = figure.subplots()
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for name, rows in curves.items():
        axes.plot(
            [row["mean_probability"] for row in rows],
            [row["observed_share"] for row in rows],
            marker="o",
            label=name,
        )
    axes.set_xlabel("mean predicted probability of non-compliance")
    axes.set_ylabel("observed share of non-compliant notes")
    axes.set_title(title)
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure
