"""A small but really trained ``component-compliance`` model, shared by the lane's tests.

Trained once per test process (seconds) on generated notes by the pipeline's own nodes,
so tests can assert that predictions are right, not only that they have the right shape.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from mlops_lab.components.model import ComponentComplianceModel
from mlops_lab.components.text import normalise_text
from mlops_lab.components.vectoriser import (
    build_classifier,
    fit_vocabulary,
    text_classifier,
    text_vectoriser,
)
from mlops_lab.simulators.component_texts import generate_component_texts

WINDOW = {"coverage": 0.999, "headroom": 1.1, "multiple": 8}
MODEL = {
    "embedding_dim": 16,
    "conv_filters": 32,
    "kernel_size": 5,
    "pool_size": 8,
    "lstm_units": 16,
    "bidirectional": True,
    "dropout": 0.0,
}
TRAINING = {
    "learning_rate": 0.01,
    "batch_size": 64,
    "max_epochs": 8,
    "early_stopping": {"patience": 1, "min_delta": 0.001},
    "verbose": 0,
}
INPUT_EXAMPLE = ["Manufactured in 1985, made of steel, in fair condition."]
# Plain notes (no hard cases), families the model has not seen are drawn all the same.
NOTES = {"hard_case_share": 0.0, "n_families": 40, "filler_max": 3}


def generated_texts(n: int, seed: int, **options) -> pd.DataFrame:
    """Normalised generated notes with their labels and slice columns, as ``component_data``
    writes them."""
    raw = generate_component_texts(n, seed=seed, **(NOTES | options))
    return raw.assign(text=raw["text"].map(normalise_text))


@cache
def trained_network():
    """(keras text model, history, vectoriser spec) trained by the pipeline's own nodes."""
    from mlops_lab.pipelines.component_compliance.nodes import (
        fit_text_vectoriser,
        train_compliance_classifier,
    )

    train, validation = generated_texts(2000, seed=11), generated_texts(400, seed=12)
    spec = fit_text_vectoriser(train, max_tokens=100, window=WINDOW)
    model, history = train_compliance_classifier(train, validation, spec, MODEL, TRAINING, seed=3)
    return model, history, spec


def trained_package(threshold: float = 0.5, max_chars: int = 500) -> ComponentComplianceModel:
    """The trained network packaged as the registered pyfunc (temperature 1)."""
    model, _, _ = trained_network()
    return ComponentComplianceModel(
        model, pd.DataFrame({"text": INPUT_EXAMPLE}), threshold=threshold, max_chars=max_chars
    )


def untrained_package(max_chars: int = 500, sequence_length: int = 256) -> ComponentComplianceModel:
    """A package with a fitted vocabulary and an untrained network (probabilities ~0.5)."""
    words = ["made of steel in good condition 2001", "plastic part made in 1980", "iron part 1999"]
    vocabulary = fit_vocabulary(words, max_tokens=100)
    network = build_classifier(len(vocabulary), sequence_length, 4, 4, 0.0, 0.01, 4, 3, 8)
    model = text_classifier(text_vectoriser(vocabulary, sequence_length), network)
    return ComponentComplianceModel(
        model, pd.DataFrame({"text": INPUT_EXAMPLE}), max_chars=max_chars
    )
