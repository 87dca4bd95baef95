"""The registered model: preprocessing + CNN as one MLflow pyfunc.

:class:`AerosolDayClassifier` takes raw SmartSMEAR DMPS rows (any days, any channel grid)
and returns one row per day: the predicted class and the class probabilities, or, for a
day that cannot be classified (too incomplete), the reason. It applies
:func:`mlops_lab.aerosol.preprocessing.prepare_export` with the settings stored at
training time, so serving reproduces training exactly.

:class:`mlops_lab.registry.RegisteredModelDataset` (the catalog entry
``aerosol_event_classifier_challenger``) logs it with its signature and input example and
registers a new version of ``aerosol-event-classifier`` as ``@challenger``.
"""

from __future__ import annotations

import logging
from typing import Any

import keras
import mlflow
import numpy as np
import pandas as pd

from mlops_lab.aerosol.preprocessing import PreprocessingConfig, prepare_export

logger = logging.getLogger(__name__)

SOURCE = "model input"


class AerosolDayClassifier(mlflow.pyfunc.PythonModel):
    """Raw DMPS rows in, one row per day out (class + probabilities, or the reason not).

    Args:
        network: The trained Keras model (input ``channels x steps``).
        preprocessing: :class:`PreprocessingConfig` settings used to build the training data.
        class_names: Output classes in the network's order.
        input_example: A day of raw export rows (logged with the model).
        description: Free text (label scheme, data note) stored with the model.
        input_columns: Every column the training exports had (all channel grids); the
            signature lists them as optional, so MLflow passes any of those grids through.
    """

    def __init__(
        self,
        network: keras.Model,
        preprocessing: dict[str, Any],
        class_names: list[str],
        input_example: pd.DataFrame,
        description: str = "",
        input_columns: list[str] | None = None,
    ) -> None:
        self.network = network
        self.preprocessing = dict(preprocessing)
        self.class_names = list(class_names)
        self.input_example = input_example
        self.description = description
        self.input_columns = list(input_columns or input_example.columns)

    def signature(self):
        """MLflow signature: time columns required, every known channel/metadata optional.

        MLflow drops input columns that the signature does not name, so the signature
        names the channels of every grid seen in training; a file on another grid can be
        classified with :meth:`classify` (as ``classify_days`` does).
        """
        from mlflow.models import infer_signature
        from mlflow.types.schema import ColSpec, Schema

        from mlops_lab.aerosol.schemas import TIME_COLUMNS

        example = self.input_example
        inferred = infer_signature(example, self.classify(example))
        columns = [ColSpec("long", name) for name in TIME_COLUMNS]
        columns += [
            ColSpec("double", name, required=False)
            for name in sorted(set(self.input_columns) - set(TIME_COLUMNS))
        ]
        inferred.inputs = Schema(columns)
        return inferred

    def output_columns(self) -> list[str]:
        """Columns of :meth:`classify`'s result."""
        return [
            "date",
            "predicted_class",
            *[f"probability_{name}" for name in self.class_names],
            "status",
            "reason",
        ]

    def classify(self, raw: pd.DataFrame, source: str = SOURCE) -> pd.DataFrame:
        """Classify every day present in ``raw`` (see the class docstring)."""
        config = PreprocessingConfig.from_dict(self.preprocessing)
        prepared = prepare_export(raw, config, source)
        rows = prepared.quality[["date", "exclusion_reason"]].copy()
        probabilities = np.full((len(rows), len(self.class_names)), np.nan)
        if len(prepared.x):
            kept = rows["date"].isin(prepared.dates).to_numpy()
            probabilities[kept] = self.network.predict(prepared.x, verbose=0)
        classified = ~np.isnan(probabilities).any(axis=1)
        result = pd.DataFrame(
            {
                "date": rows["date"].dt.strftime("%Y-%m-%d"),
                "predicted_class": np.where(
                    classified,
                    np.array(self.class_names, dtype=object)[
                        np.nan_to_num(probabilities, nan=0).argmax(axis=1)
                    ],
                    "",
                ),
            }
        )
        for i, name in enumerate(self.class_names):
            result[f"probability_{name}"] = probabilities[:, i]
        result["status"] = np.where(classified, "classified", "not classified")
        result["reason"] = np.where(classified, "", rows["exclusion_reason"].to_numpy())
        return result[self.output_columns()].reset_index(drop=True)

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None):
        """MLflow entry point: :meth:`classify` on a DataFrame of raw export rows."""
        return self.classify(pd.DataFrame(model_input))
