"""The registered models: raw text in, probability of non-compliance and label out.

Two candidates share one served interface (:class:`ComplianceTextModel`): the same
normalisation, the same refusal of notes longer than the window, the same calibrated
probability and threshold. They differ only in what turns a normalised note into a logit:
:class:`ComponentComplianceModel` runs the Keras network,
:class:`mlops_lab.components.baseline.TfidfComplianceModel` a TF-IDF + logistic
regression. Both are registered as versions of ``component-compliance``; the gate decides
which is ``@champion``.

One MLflow pyfunc packages what a prediction needs: the text normalisation, the Keras
model (whose first layer is the character vectoriser built once from the training
vocabulary, :func:`mlops_lab.components.vectoriser.text_classifier`), the temperature
fitted on validation notes and the threshold chosen for the recall floor. The Keras model
is kept as an attribute; Keras 3 pickles models through its own ``.keras`` format,
vocabulary included.

The model reads ``sequence_length`` characters of the normalised note, the window derived
from the training notes. A longer note is **rejected** (``InputValidationError`` naming
the rows and lengths), never cut: the vectoriser would silently drop its end.

:class:`mlops_lab.registry.RegisteredModelDataset` registers it as ``component-compliance``:
signature and input example come from :meth:`ComponentComplianceModel.signature` and
``input_example``, and the artifact ships only the project modules this module imports
(this module, :mod:`mlops_lab.components.text` and :mod:`mlops_lab.validation`).
"""

from __future__ import annotations

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, infer_signature

from mlops_lab.components.text import normalise_text, rejection_reason
from mlops_lab.validation import InputValidationError

TEXT_COLUMN = "text"
PREDICT_BATCH_SIZE = 256


class ComplianceTextModel(mlflow.pyfunc.PythonModel):
    """The served interface of every ``component-compliance`` version.

    ``predict`` accepts a DataFrame with a ``text`` column, a Series or a list of strings
    and returns a DataFrame with ``probability`` (of non-compliance, calibrated) and
    ``label``. Bad values (not text, empty, too long for the model's window) raise one
    ``InputValidationError`` naming the rows; the ``classify_components`` pipeline screens
    rows first with :meth:`rejection_reason` so batches never fail midway. Subclasses
    provide :meth:`logits` (normalised notes in, logit of non-compliance out).

    Args:
        input_example: Raw texts (a ``text`` column) logged with the model.
        threshold: Calibrated probability from which the label is 1.
        max_chars: Longest raw text accepted.
        sequence_length: Characters of the normalised note the model reads (its window).
        temperature: The logit is divided by it before the sigmoid (1 = uncalibrated).
    """

    kind = "abstract"

    def __init__(
        self,
        input_example: pd.DataFrame,
        threshold: float,
        max_chars: int,
        sequence_length: int,
        temperature: float,
    ) -> None:
        self.input_example = pd.DataFrame({TEXT_COLUMN: input_example[TEXT_COLUMN].tolist()})
        self.threshold = float(threshold)
        self.max_chars = int(max_chars)
        self.sequence_length = int(sequence_length)
        self.temperature = float(temperature)

    def logits(self, normalised: np.ndarray) -> np.ndarray:
        """Logit of non-compliance for each normalised note (one float per note)."""
        raise NotImplementedError

    def rejection_reason(self, value: object) -> str | None:
        """Why a raw value cannot be classified by this model, or ``None`` when it can."""
        reason = rejection_reason(value, self.max_chars)
        if reason is None and len(normalise_text(value)) > self.sequence_length:
            reason = (
                f"longer than the model's window of {self.sequence_length} characters after "
                f"normalisation ({len(normalise_text(value))}); not cut, refused"
            )
        return reason

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
            if (reason := self.rejection_reason(value)) is not None
        }
        if problems:
            shown = dict(list(problems.items())[:5])
            raise InputValidationError(
                f"component-compliance: {len(problems)} input row(s) cannot be classified "
                f"(row: reason) {shown}; expected non-empty text of at most "
                f"{self.max_chars} characters and {self.sequence_length} characters after "
                "normalisation."
            )
        if not texts:
            return pd.DataFrame(
                {"probability": pd.Series(dtype="float64"), "label": pd.Series(dtype="int64")}
            )
        normalised = np.asarray([normalise_text(text) for text in texts], dtype=object)
        scaled = np.asarray(self.logits(normalised), dtype="float64").ravel() / self.temperature
        probability = np.exp(-np.logaddexp(0.0, -scaled))
        return pd.DataFrame(
            {
                "probability": probability.astype("float64"),
                "label": (probability >= self.threshold).astype("int64"),
            }
        )

    def predict(self, context, model_input, params: dict | None = None) -> pd.DataFrame:
        """MLflow entry point: :meth:`classify`."""
        return self.classify(model_input)


class ComponentComplianceModel(ComplianceTextModel):
    """The character network as a registered model (see :class:`ComplianceTextModel`).

    Args:
        keras_model: Normalised text in (a batch of strings), logit of non-compliance out.
        input_example, threshold, max_chars, temperature: see :class:`ComplianceTextModel`.
        sequence_length: the window; by default the vectoriser layer's output length.
    """

    kind = "char_bilstm"

    def __init__(
        self,
        keras_model,
        input_example: pd.DataFrame,
        threshold: float = 0.5,
        max_chars: int = 500,
        sequence_length: int | None = None,
        temperature: float = 1.0,
    ) -> None:
        if sequence_length is None:
            sequence_length = int(
                keras_model.get_layer("vectoriser").get_config()["output_sequence_length"]
            )
        super().__init__(input_example, threshold, max_chars, sequence_length, temperature)
        self.keras_model = keras_model

    def logits(self, normalised: np.ndarray) -> np.ndarray:
        """The network's logit for each normalised note."""
        return self.keras_model.predict(normalised, batch_size=PREDICT_BATCH_SIZE, verbose=0)
