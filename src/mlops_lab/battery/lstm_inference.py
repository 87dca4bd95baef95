"""Inference of the battery LSTM without TensorFlow: windows from raw rows, a NumPy forward pass.

:func:`history_windows` turns raw history rows into each battery's last window (the
registered pyfunc's input checks). :class:`LstmForecaster` holds the trained network's
weights and computes the same forecasts as Keras with NumPy: a Spark Python worker that
scores a stream imports neither TensorFlow nor Keras (seconds per worker saved) and a
window of one battery costs microseconds instead of a Keras call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlops_lab.battery.schema import BATTERY_ID, CYCLES, DATE, DURATION
from mlops_lab.battery.windows import Scaler, day_features
from mlops_lab.validation import InputValidationError, require_columns

INPUT_COLUMNS = [DATE, BATTERY_ID, DURATION, CYCLES]
"""Columns the registered model reads (other columns of the daily series are ignored)."""


def history_windows(
    records: pd.DataFrame, window: int, horizon: int = 0
) -> tuple[np.ndarray, pd.Series]:
    """Each battery's last ``window`` days as features, and the date of its last day.

    Args:
        records: Raw history rows (:data:`INPUT_COLUMNS`, other columns ignored).
        window: Days read per forecast.
        horizon: Days that will be forecast after each battery's last day (their dates
            must exist: pandas' calendar ends in April 2262).

    Raises:
        InputValidationError: A column is missing, a value is missing, negative or not
            a date, a date leaves no room for the forecast days, a battery has fewer than
            ``window`` days, or its last ``window`` days are not consecutive.
    """
    source = "battery-cycles-lstm input"
    require_columns(records, INPUT_COLUMNS, source)
    frame = records[INPUT_COLUMNS].reset_index(drop=True)
    dates = pd.to_datetime(frame[DATE], errors="coerce")
    for column in INPUT_COLUMNS:
        values = dates if column == DATE else pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna()
        if column != DATE:
            bad |= values < 0
        if bad.any():
            rows = bad[bad].index.tolist()[:5]
            expected = "a date" if column == DATE else "a non-negative number"
            raise InputValidationError(
                f"{source}: column '{column}' expected {expected}; failed at rows {rows} "
                f"(values {frame.loc[rows, column].tolist()})."
            )
    last_allowed = pd.Timestamp.max.normalize() - pd.Timedelta(days=horizon)
    late = dates > last_allowed
    if late.any():
        rows = late[late].index.tolist()[:5]
        raise InputValidationError(
            f"{source}: column '{DATE}' expected a date up to {last_allowed.date()} (the "
            f"{horizon} forecast day(s) after it must be dates); failed at rows {rows} "
            f"(values {frame.loc[rows, DATE].tolist()})."
        )
    frame = frame.assign(**{DATE: dates, BATTERY_ID: frame[BATTERY_ID].astype(int)})
    frame = frame.sort_values([BATTERY_ID, DATE])
    duplicated = frame.duplicated([BATTERY_ID, DATE])
    if duplicated.any():
        row = frame[duplicated].iloc[0]
        raise InputValidationError(
            f"{source}: battery {row[BATTERY_ID]} has day {row[DATE].date()} more than once; "
            "expected one row per battery and day."
        )
    windows, last_days = [], {}
    for battery_id, group in frame.groupby(BATTERY_ID, sort=True):
        recent = group.tail(window)
        if len(recent) < window:
            raise InputValidationError(
                f"{source}: battery {battery_id} has {len(recent)} day(s) of history; the "
                f"model needs its last {window} consecutive days."
            )
        span = (recent[DATE].iloc[-1] - recent[DATE].iloc[0]).days
        if span != window - 1:
            raise InputValidationError(
                f"{source}: battery {battery_id}'s last {window} days are not "
                f"consecutive ({recent[DATE].iloc[0].date()} to "
                f"{recent[DATE].iloc[-1].date()}); fill the missing days first."
            )
        windows.append(day_features(recent))
        last_days[battery_id] = recent[DATE].iloc[-1]
    return np.stack(windows), pd.Series(last_days, name=DATE).rename_axis(BATTERY_ID)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass(frozen=True)
class LstmForecaster:
    """The trained LSTM's weights and scaler: forecasts as Keras computes them, in NumPy.

    Args:
        lstm: Per LSTM layer ``(kernel, recurrent_kernel, bias)`` (Keras' gate order i, f,
            c, o; ``tanh`` / ``sigmoid`` activations).
        dense: Per dense layer ``(kernel, bias, relu)``.
        scaler: The training standardisation.
        window: Days read per forecast.
        horizon: Days forecast.
    """

    lstm: tuple[tuple[np.ndarray, np.ndarray, np.ndarray], ...]
    dense: tuple[tuple[np.ndarray, np.ndarray, bool], ...]
    scaler: Scaler
    window: int
    horizon: int

    def network(self, inputs: np.ndarray) -> np.ndarray:
        """Scaled windows (n, window, features) -> scaled forecasts (n, horizon)."""
        sequence = inputs.astype("float64")
        for kernel, recurrent, bias in self.lstm:
            units = recurrent.shape[0]
            projected = sequence @ kernel + bias
            hidden = np.zeros((len(sequence), units))
            cell = np.zeros((len(sequence), units))
            outputs = []
            for step in range(sequence.shape[1]):
                z = projected[:, step] + hidden @ recurrent
                gate_in = _sigmoid(z[:, :units])
                gate_forget = _sigmoid(z[:, units : 2 * units])
                candidate = np.tanh(z[:, 2 * units : 3 * units])
                gate_out = _sigmoid(z[:, 3 * units :])
                cell = gate_forget * cell + gate_in * candidate
                hidden = gate_out * np.tanh(cell)
                outputs.append(hidden)
            sequence = np.stack(outputs, axis=1)
        output = sequence[:, -1]
        for kernel, bias, relu in self.dense:
            output = output @ kernel + bias
            if relu:
                output = np.maximum(output, 0.0)
        return output

    def last_windows(self, records: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
        """See :func:`history_windows`."""
        return history_windows(records, self.window, self.horizon)

    def forecast_windows(self, features: np.ndarray) -> np.ndarray:
        """Cycles of the next ``horizon`` days of each window (windows x days x features)."""
        return self.scaler.target_to_cycles(self.network(self.scaler.transform(features)))
