"""The recurrent forecaster ``battery-cycles-lstm``: a Keras LSTM on sliding windows.

The network reads a battery's last ``window`` days (:mod:`mlops_lab.battery.windows`,
standardised with the training rows' statistics) and outputs the next ``horizon`` days of
``Daily_Cycles_Used`` at once (direct multi-output forecasting, no recursion). The LSTM
layers keep Keras' defaults that select the cuDNN kernel on a GPU (``tanh`` /
``sigmoid`` activations, no recurrent dropout, ``unroll=False``, biases on).

:class:`BatteryLstmModel` is the registered pyfunc: raw rows of a battery's recent
history in (the columns of ``daily_battery_time_series``; at least ``Date``,
``Battery_ID``, ``Daily_Trip_Duration`` and ``Daily_Cycles_Used``), its ``horizon``-day
forecast out, one row per battery and future day (``Date``, ``Battery_ID``,
``forecast``). Several batteries may be passed at once. Each battery needs its last
``window`` consecutive days; bad input raises
:class:`mlops_lab.validation.InputValidationError` naming the battery, column or row.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import keras
import mlflow.pyfunc
import numpy as np
import pandas as pd
import tensorflow as tf
from mlflow.models import ModelSignature, infer_signature

from mlops_lab.battery.lstm_inference import LstmForecaster, history_windows
from mlops_lab.battery.schema import BATTERY_ID, DATE
from mlops_lab.battery.windows import FEATURES, Scaler, Windows

OUTPUT_COLUMNS = [DATE, BATTERY_ID, "forecast"]
PREDICT_BATCH_SIZE = 1024


def build_network(
    window: int, horizon: int, units: Sequence[int], dense_units: int, learning_rate: float
) -> keras.Model:
    """Stacked LSTM layers (cuDNN-compatible settings), a dense layer, ``horizon`` outputs."""
    if not units:
        raise ValueError("battery LSTM: 'units' must list at least one LSTM layer size.")
    layers: list[keras.layers.Layer] = [keras.Input(shape=(window, len(FEATURES)))]
    for position, size in enumerate(units):
        layers.append(
            keras.layers.LSTM(
                int(size),
                return_sequences=position < len(units) - 1,
                # cuDNN conditions: defaults for activation, recurrent_activation,
                # recurrent_dropout (0), unroll (False) and use_bias (True).
            )
        )
    if dense_units:
        layers.append(keras.layers.Dense(int(dense_units), activation="relu"))
    layers.append(keras.layers.Dense(horizon))
    network = keras.Sequential(layers, name="battery_lstm")
    network.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return network


def window_dataset(
    windows: Windows, scaler: Scaler, batch_size: int, shuffle_seed: int | None
) -> tf.data.Dataset:
    """Scaled (inputs, targets) batches; reshuffled every epoch when a seed is given."""
    inputs = scaler.transform(windows.inputs)
    targets = scaler.cycles_to_target(windows.targets)
    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(inputs), seed=shuffle_seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def fit_network(
    network: keras.Model,
    train: tf.data.Dataset,
    validation: tf.data.Dataset,
    max_epochs: int,
    patience: int,
    min_delta: float,
    verbose: int = 0,
) -> dict[str, Any]:
    """Fit until the validation loss stops improving; restore the best epoch's weights.

    Returns:
        Per-epoch ``loss`` and ``val_loss``, ``best_epoch`` (from 1), ``epochs_run`` and
        ``train_seconds``.
    """
    stopping = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, min_delta=min_delta, restore_best_weights=True
    )
    started = time.perf_counter()
    fitted = network.fit(
        train,
        validation_data=validation,
        epochs=max_epochs,
        callbacks=[stopping],
        shuffle=False,  # the tf.data pipeline reshuffles
        verbose=verbose,
    )
    loss = [float(v) for v in fitted.history["loss"]]
    val_loss = [float(v) for v in fitted.history["val_loss"]]
    # best_epoch stays 0 when the first epoch was the best (or patience never ran out).
    best = int(np.argmin(val_loss)) + 1
    return {
        "loss": loss,
        "val_loss": val_loss,
        "best_epoch": best,
        "epochs_run": len(loss),
        "train_seconds": round(time.perf_counter() - started, 2),
    }


class BatteryLstmModel(mlflow.pyfunc.PythonModel):
    """The LSTM with its scaler, served on raw rows of batteries' recent history.

    Args:
        network: Scaled windows in, scaled ``horizon``-day forecasts out.
        scaler: Standardisation fitted on the training rows.
        window: Days of history read per forecast.
        horizon: Days forecast.
        input_example: Raw history rows (at least ``window`` days of one battery).
        description: What the model is (shown in reports).
    """

    def __init__(
        self,
        network: keras.Model,
        scaler: Scaler,
        window: int,
        horizon: int,
        input_example: pd.DataFrame,
        description: str,
    ) -> None:
        self.network = network
        self.scaler = scaler
        self.window = int(window)
        self.horizon = int(horizon)
        self.input_example = input_example
        self.description = description

    def signature(self) -> ModelSignature:
        """Raw history rows in, forecast rows out (inferred from the input example)."""
        return infer_signature(self.input_example, self.forecast(self.input_example))

    def last_windows(self, records: pd.DataFrame) -> tuple[np.ndarray, pd.Series]:
        """See :func:`mlops_lab.battery.lstm_inference.history_windows`."""
        return history_windows(records, self.window, self.horizon)

    def streaming_twin(self) -> LstmForecaster:
        """The same forecaster without Keras (NumPy weights), for Spark Python workers."""
        lstm, dense = [], []
        for layer in self.network.layers:
            weights = [np.asarray(w, dtype="float64") for w in layer.get_weights()]
            if isinstance(layer, keras.layers.LSTM):
                lstm.append(tuple(weights))
            elif isinstance(layer, keras.layers.Dense):
                relu = layer.get_config()["activation"] == "relu"
                dense.append((*weights, relu))
        return LstmForecaster(tuple(lstm), tuple(dense), self.scaler, self.window, self.horizon)

    def forecast_windows(self, features: np.ndarray) -> np.ndarray:
        """Cycles of the next ``horizon`` days of each window (windows x days x features)."""
        scaled = self.scaler.transform(features)
        if len(scaled) <= PREDICT_BATCH_SIZE:  # one call without Keras' predict loop overhead
            output = self.network.predict_on_batch(scaled)
        else:
            output = self.network.predict(scaled, batch_size=PREDICT_BATCH_SIZE, verbose=0)
        return self.scaler.target_to_cycles(np.asarray(output, dtype="float64"))

    def forecast(self, records: pd.DataFrame) -> pd.DataFrame:
        """The next ``horizon`` days of every battery in ``records`` (see the module doc)."""
        features, last_days = self.last_windows(records)
        cycles = self.forecast_windows(features)
        steps = np.arange(1, self.horizon + 1)
        return pd.DataFrame(
            {
                DATE: np.concatenate(
                    [(day + pd.to_timedelta(steps, unit="D")).to_numpy() for day in last_days]
                ),
                BATTERY_ID: np.repeat(last_days.index.to_numpy(), self.horizon),
                "forecast": cycles.reshape(-1),
            }
        )[OUTPUT_COLUMNS]

    def predict(
        self, context: Any, model_input: pd.DataFrame, params: dict[str, Any] | None = None
    ) -> pd.DataFrame:
        """MLflow entry point: :meth:`forecast`."""
        return self.forecast(model_input)
