"""The registered model: raw text in, probability of non-compliance and label out.

One MLflow pyfunc packages what a prediction needs: the text normalisation and the Keras
model, whose first layer is the vectoriser built once from the training vocabulary
(:func:`mlops_lab.components.vectoriser.text_classifier`). The Keras model is kept as an
attribute; Keras 3 pickles models through its own ``.keras`` format, vocabulary included.

:class:`mlops_lab.registry.RegisteredModelDataset` registers it as ``component-compliance``:
signature and input example come from :meth:`ComponentComplianceModel.signature` and
``input_example``, and the artifact ships only the project modules this module imports
(this module and :mod:`mlops_lab.components.text`).
"""

from __future__ import annotations

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, infer_signature

from mlops_lab.components.text import normalise_text, rejection_reason

TEXT_COLUMN = "text"
PREDICT_BATCH_SIZE = 1024


class ComponentComplianceModel(mlflow.pyfunc.PythonModel):
    """Classify technicians' component descriptions as compliant (0) or not (1).

    ``predict`` accepts a DataFrame with a ``text`` column, a Series or a list of strings
    and returns a DataFrame with ``probability`` (of non-compliance) and ``label``. Bad
    values (not text, empty, too long) raise one ``ValueError`` naming the rows; the
    ``classify_components`` pipeline screens rows first so batches never fail midway.

    Args:
        keras_model: Normalised text in (a batch of strings), probability out.
        input_example: Raw texts (a ``text`` column) logged with the model.
        threshold: Probability from which the label is 1.
        max_chars: Longest raw text accepted.
    """

    def __init__(
        self,
        keras_model,
        input_example: pd.DataFrame,
        threshold: float = 0.5,
        max_chars: int = 500,
    ) -> None:
        self.keras_model = keras_model
        self.input_example = pd.DataFrame({TEXT_COLUMN: input_example[TEXT_COLUMN].tolist()})
        self.threshold = float(threshold)
        self.max_chars = int(max_chars)

    def signature(self) -> ModelSignature:
        """A ``text`` column in; ``probability`` and ``label`` out (from the input example)."""
        return infer_signature(self.input_example, self.classify(self.input_example))

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
        ):  # records, e.g. [{"text": "..."}]
            return [record.get(TEXT_COLUMN) for record in model_input]
        if isinstance(model_input, pd.Series | np.ndarray | list | tuple):
            return list(model_input)
        if isinstance(model_input, str):
            return [model_input]
        raise ValueError(
            "component-compliance expects a DataFrame with a 'text' column or a list of "
            f"strings, got {type(model_input).__name__}."
        )

    def classify(self, model_input) -> pd.DataFrame:
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
            return pd.DataFrame(
                {"probability": pd.Series(dtype="float64"), "label": pd.Series(dtype="int64")}
            )
        normalised = np.asarray([normalise_text(text) for text in texts], dtype=object)
        probability = self.keras_model.predict(
            normalised, batch_size=PREDICT_BATCH_SIZE, verbose=0
        ).ravel()
        return pd.DataFrame(
            {
                "probability": probability.astype("float64"),
                "label": (probability >= self.threshold).astype("int64"),
            }
        )

    def predict(self, context, model_input, params: dict | None = None) -> pd.DataFrame:
        """MLflow entry point: :meth:`classify`."""
        return self.classify(model_input)
