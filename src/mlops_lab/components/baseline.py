"""A TF-IDF + logistic-regression baseline on character n-grams of the normalised note.

The reference the network has to beat on the leaderboard: no sequence model at all, only
which character n-grams (2 to 4 by default, within word boundaries) occur. It reads the
whole note and survives typos the way the network does, but cannot tell "not plastic"
from "plastic" beyond the n-grams that span the two words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline


def fit_tfidf_baseline(
    texts: Sequence[str], labels: Sequence[int], params: dict[str, Any], seed: int
) -> Pipeline:
    """Fit TF-IDF (``char_wb`` n-grams ``ngram_range``, ``max_features``) + logistic
    regression (``C``) on normalised notes."""
    low, high = params["ngram_range"]
    model = Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(int(low), int(high)),
                    max_features=int(params["max_features"]),
                    sublinear_tf=True,
                ),
            ),
            ("logreg", LogisticRegression(C=float(params["C"]), max_iter=1000, random_state=seed)),
        ]
    )
    return model.fit(list(texts), list(labels))
