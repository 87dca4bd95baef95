"""The registered model: raw text in, probability of non-compliance and label out.

One MLflow pyfunc packages the three fitted pieces a prediction needs: the text
normalisation, the vocabulary (the vectoriser) and the Keras network. The Keras model is
kept as an attribute; Keras 3 pickles models through its own ``.keras`` format.

MLflow pickles the model with cloudpickle. This package is registered to be pickled *by
value*, so the registered model carries its own code (this class, the normalisation and
the vectoriser) and loads wherever TensorFlow, pandas and MLflow are installed, without
``mlops_lab`` and without MLflow having to infer code paths (a slow subprocess).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import cloudpickle
import mlflow.pyfunc
import numpy as np
import pandas as pd

from mlops_lab.components.text import normalise_text, rejection_reason
from mlops_lab.components.vectoriser import vectorise_texts

TEXT_COLUMN = "text"

cloudpickle.register_pickle_by_value(sys.modules[__package__])


class ComponentComplianceModel(mlflow.pyfunc.PythonModel):
    """Classify technicians' component descriptions as compliant (0) or not (1).

    ``predict`` accepts a DataFrame with a ``text`` column, a Series or a list of strings
    and returns a DataFrame with ``probability`` (of non-compliance) and ``label``. Bad
    values (not text, empty, too long) raise one ``ValueError`` naming the rows; the
    ``classify_components`` pipeline screens rows first so batches never fail midway.
    """

    def __init__(
        self,
        keras_model,
        vocabulary: Sequence[str],
        sequence_length: int,
        threshold: float = 0.5,
        max_chars: int = 500,
    ) -> None:
        self.keras_model = keras_model
        self.vocabulary = [str(word) for word in vocabulary]
        self.sequence_length = int(sequence_length)
        self.threshold = float(threshold)
        self.max_chars = int(max_chars)

    @staticmethod
    def _texts(model_input) -> list:
        if isinstance(model_input, pd.DataFrame):
            if TEXT_COLUMN not in model_input:
                raise ValueError(
                    f"component-compliance expects a column '{TEXT_COLUMN}', "
                    f"got columns {list(model_input.columns)}."
                )
            return model_input[TEXT_COLUMN].tolist()
        if isinstance(model_input, dict) and TEXT_COLUMN in model_input:
            values = model_input[TEXT_COLUMN]
            return [values] if isinstance(values, str) else list(values)
        if isinstance(model_input, list | tuple) and all(
            isinstance(record, dict) for record in model_input
        ):  # records, e.g. [{"text": "..."}] (the registered input example)
            return [record.get(TEXT_COLUMN) for record in model_input]
        if isinstance(model_input, pd.Series | np.ndarray | list | tuple):
            return list(model_input)
        if isinstance(model_input, str):
            return [model_input]
        raise ValueError(
            "component-compliance expects a DataFrame with a 'text' column or a list of "
            f"strings, got {type(model_input).__name__}."
        )

    def predict(self, context, model_input, params=None) -> pd.DataFrame:
        """Probability of non-compliance and the label at ``threshold``, one row per text."""
        texts = self._texts(model_input)
        problems = {
            row: reason
            for row, value in enumerate(texts)
            if (reason := rejection_reason(value, self.max_chars)) is not None
        }
        if problems:
            shown = dict(list(problems.items())[:5])
            raise ValueError(
                f"component-compliance: {len(problems)} input row(s) cannot be classified "
                f"(row: reason) {shown}; expected non-empty text of at most "
                f"{self.max_chars} characters."
            )
        if not texts:
            return pd.DataFrame({"probability": pd.Series(dtype="float64"), "label": []})
        tokens = vectorise_texts(
            [normalise_text(text) for text in texts], self.vocabulary, self.sequence_length
        )
        probability = self.keras_model.predict(tokens, batch_size=1024, verbose=0).ravel()
        return pd.DataFrame(
            {
                "probability": probability.astype("float64"),
                "label": (probability >= self.threshold).astype("int64"),
            }
        )
