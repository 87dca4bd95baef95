"""The registered model ``battery-cycles``: an MLflow pyfunc on raw records.

Input: one row per battery and day to forecast, columns ``Date``, ``Battery_ID``,
``Battery_Age_Days``, ``Daily_Trip_Duration`` (the covariates the model does not use may be
missing). The days must follow, without gaps, the history the model was refitted on.
Output: ``Date``, ``Battery_ID``, ``forecast`` and the 80% / 95% prediction intervals
(``lower_80``, ``upper_80``, ``lower_95``, ``upper_95``): the forecast times one plus the
empirical quantiles of the model's relative out-of-fold errors, pooled over batteries.
Relative, because the noise grows with the level (an ageing battery uses more cycles and
varies more); pooled, because a battery's 60-90 validation days are too few for its own
2.5% and 97.5% quantiles (per-battery quantiles covered 68% / 83% of the held-out days
instead of 80% / 95%; pooled relative ones 79% / 95%).
"""

from __future__ import annotations

import copy
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature, infer_signature

from mlops_lab.battery.candidates import Forecaster, forecaster_from_spec
from mlops_lab.battery.schema import AGE, BATTERY_ID, DATE, DURATION
from mlops_lab.validation import require_columns

INTERVAL_QUANTILES = {"lower_95": 0.025, "lower_80": 0.10, "upper_80": 0.90, "upper_95": 0.975}
OUTPUT_COLUMNS = [DATE, BATTERY_ID, "forecast", "lower_95", "lower_80", "upper_80", "upper_95"]


def error_quantiles(forecasts: pd.DataFrame) -> pd.Series:
    """Quantiles of the relative errors (y_true - y_pred) / y_pred, pooled over batteries."""
    relative = (forecasts["y_true"] - forecasts["y_pred"]) / forecasts["y_pred"].abs().clip(
        lower=1e-9
    )
    return pd.Series({name: float(relative.quantile(q)) for name, q in INTERVAL_QUANTILES.items()})


class BatteryCyclesModel(mlflow.pyfunc.PythonModel):
    """A fitted forecaster with its error quantiles, served on raw records.

    Args:
        forecaster: The fitted forecaster.
        quantiles: Relative error quantiles (see :func:`error_quantiles`).
        input_example: Records of the first days after the history.
        description: What the model is, shown in forecasts.
        spec: The leaderboard spec the forecaster was built from (``{"kind": ...,
            "params": ...}``); :meth:`refit` rebuilds it on another history.
    """

    def __init__(
        self,
        forecaster: Forecaster,
        quantiles: pd.Series,
        input_example: pd.DataFrame,
        description: str,
        spec: dict[str, Any] | None = None,
    ) -> None:
        self.forecaster = forecaster
        self.quantiles = quantiles
        self.input_example = input_example
        self.description = description
        self.spec = spec

    def refit(self, history: pd.DataFrame) -> BatteryCyclesModel:
        """The same model (configuration and error quantiles) refitted on ``history``.

        Used to score a registered model on days after ``history`` that its own fit has
        already seen (the promotion gate refits challenger and champion on one history).

        Raises:
            ValueError: The model was registered without its spec.
        """
        if self.spec is None:
            raise ValueError(
                f"battery-cycles model '{self.description}' has no spec: it cannot be refitted."
            )
        refitted = copy.copy(self)
        refitted.forecaster = forecaster_from_spec(self.spec).fit(history)
        return refitted

    @property
    def covariates(self) -> tuple[str, ...]:
        return self.forecaster.covariates

    def signature(self) -> ModelSignature:
        """Raw records in, forecasts with intervals out (inferred from the input example)."""
        return infer_signature(self.input_example, self.forecast(self.input_example))

    def forecast(self, records: pd.DataFrame) -> pd.DataFrame:
        """Point forecasts and intervals for ``records`` (see the module docstring)."""
        require_columns(records, [DATE, BATTERY_ID, *self.covariates], "battery-cycles model input")
        future = records.assign(
            **{DATE: pd.to_datetime(records[DATE]), BATTERY_ID: records[BATTERY_ID].astype(int)}
        )
        point = self.forecaster.predict(future.reset_index(drop=True))
        output = pd.DataFrame(
            {
                DATE: future[DATE].to_numpy(),
                BATTERY_ID: future[BATTERY_ID].to_numpy(),
                "forecast": point,
            }
        )
        for column in INTERVAL_QUANTILES:
            output[column] = point + np.abs(point) * self.quantiles[column]
        return output[OUTPUT_COLUMNS]

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """MLflow entry point: forecasts for raw records."""
        return self.forecast(model_input)


def future_frame(
    history: pd.DataFrame, horizon: int, durations: pd.Series | None = None
) -> pd.DataFrame:
    """The next ``horizon`` days of every battery with calendar covariates.

    ``Battery_Age_Days`` continues from the last day; ``Daily_Trip_Duration`` comes from
    ``durations`` (indexed like the result) when given, else is left missing.
    """
    last = history.sort_values(DATE).groupby(BATTERY_ID).last()
    rows = [
        pd.DataFrame(
            {
                DATE: pd.date_range(row[DATE] + pd.Timedelta(days=1), periods=horizon, freq="D"),
                BATTERY_ID: battery_id,
                AGE: row[AGE] + np.arange(1, horizon + 1),
            }
        )
        for battery_id, row in last.iterrows()
    ]
    frame = pd.concat(rows, ignore_index=True)
    frame[DURATION] = durations.to_numpy() if durations is not None else np.nan
    return frame
