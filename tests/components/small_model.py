"""A small but really trained ``component-compliance`` model, shared by the lane's tests.

Trained once per test process (a few seconds) on generated texts, so tests can assert
that predictions are right, not only that they have the right shape.
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

SEQUENCE_LENGTH = 15
MODEL = {"embedding_dim": 16, "embedding_trainable": True, "lstm_units": 16, "dropout": 0.0}
TRAINING = {
    "learning_rate": 0.02,
    "batch_size": 64,
    "max_epochs": 6,
    "early_stopping": {"patience": 1, "min_delta": 0.001},
    "verbose": 0,
}
INPUT_EXAMPLE = ["Manufactured in 1985, made of steel, in fair condition."]


def generated_texts(n: int, seed: int) -> pd.DataFrame:
    """Normalised generated texts with their labels, as ``component_data`` writes them."""
    raw = generate_component_texts(n, seed=seed)
    return raw.assign(text=raw["text"].map(normalise_text))


@cache
def trained_network():
    """(keras text model, history) trained by the pipeline's own training node."""
    from mlops_lab.pipelines.component_compliance.nodes import (
        fit_text_vectoriser,
        train_compliance_classifier,
    )

    train, validation = generated_texts(1200, seed=11), generated_texts(300, seed=12)
    vocabulary = fit_text_vectoriser(train, max_tokens=1000)
    return train_compliance_classifier(
        train, validation, vocabulary, SEQUENCE_LENGTH, MODEL, TRAINING, None, seed=3
    )


def trained_package(threshold: float = 0.5, max_chars: int = 500) -> ComponentComplianceModel:
    """The trained network packaged as the registered pyfunc."""
    model, _ = trained_network()
    return ComponentComplianceModel(
        model, pd.DataFrame({"text": INPUT_EXAMPLE}), threshold=threshold, max_chars=max_chars
    )


def untrained_package(max_chars: int = 500) -> ComponentComplianceModel:
    """A package with a fitted vocabulary and an untrained network (probabilities ~0.5)."""
    words = ["made of steel in good condition 2001", "plastic part made in 1980", "iron part 1999"]
    vocabulary = fit_vocabulary(words, max_tokens=100)
    network = build_classifier(len(vocabulary), SEQUENCE_LENGTH, 4, 4, 0.0, 0.01)
    model = text_classifier(text_vectoriser(vocabulary, SEQUENCE_LENGTH), network)
    return ComponentComplianceModel(
        model, pd.DataFrame({"text": INPUT_EXAMPLE}), max_chars=max_chars
    )
