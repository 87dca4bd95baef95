"""The day-classification CNN (Keras 3), built from parameters.

Default architecture, after the lab's: blocks of Conv2D(32, 3x3, ReLU) + MaxPool(2x2) +
Dropout, then Dense + softmax, trained with Adam on categorical cross-entropy.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="mlops_lab")
class NightContrast(keras.layers.Layer):
    """Stack a day with its difference from the day's own night level, per channel.

    Input ``batch x channels x steps``; output ``batch x channels x steps x 2``: the
    scaled concentration and the same minus its mean over the first ``night_steps``
    (00-04 h), which makes new particles stand out against the background of that day.
    A fixed transformation inside the network, so the registered model includes it.
    """

    def __init__(self, night_steps: int = 24, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.night_steps = night_steps

    def call(self, inputs):
        night = ops.mean(inputs[:, :, : self.night_steps], axis=2, keepdims=True)
        return ops.stack([inputs, inputs - night], axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "night_steps": self.night_steps}


def build_cnn(
    input_shape: tuple[int, int],
    n_classes: int,
    architecture: dict[str, Any],
    name: str = "aerosol_day_cnn",
    steps_per_execution: int = 1,
) -> keras.Model:
    """A compiled CNN for ``channels x steps`` day tensors.

    Args:
        input_shape: ``(channels, steps)``; a channel axis of 1 is added inside.
        n_classes: Number of output classes.
        architecture: ``filters`` (one per block), ``kernel_size``, ``pool_size``,
            ``dropout``, ``dense_units``, ``padding``, ``batch_norm``,
            ``global_pooling`` (average instead of flatten), ``dense_dropout``,
            ``night_steps`` (add the :class:`NightContrast` channel when set),
            ``input_pool`` (average-pool the input first, e.g. ``[1, 3]`` = 30-minute steps),
            ``learning_rate``, ``label_smoothing`` (of the cross-entropy targets).
        name: Model name.
        steps_per_execution: Training batches run per compiled call (fewer Python
            round trips per epoch; the same updates).
    """
    layers: list[keras.layers.Layer] = [
        keras.Input(shape=(*input_shape,)),
        NightContrast(architecture["night_steps"])
        if architecture.get("night_steps")
        else keras.layers.Reshape((*input_shape, 1)),
    ]
    if architecture.get("input_pool"):
        layers.append(keras.layers.AveragePooling2D(architecture["input_pool"]))
    for filters in architecture["filters"]:
        layers.append(
            keras.layers.Conv2D(
                filters,
                architecture["kernel_size"],
                padding=architecture.get("padding", "valid"),
                activation=None if architecture.get("batch_norm") else "relu",
            )
        )
        if architecture.get("batch_norm"):
            layers += [
                keras.layers.BatchNormalization(momentum=0.9),
                keras.layers.Activation("relu"),
            ]
        layers += [
            keras.layers.MaxPooling2D(architecture["pool_size"]),
            keras.layers.Dropout(architecture["dropout"]),
        ]
    layers.append(
        keras.layers.GlobalAveragePooling2D()
        if architecture.get("global_pooling")
        else keras.layers.Flatten()
    )
    layers += [
        keras.layers.Dense(architecture["dense_units"], activation="relu"),
        keras.layers.Dropout(architecture.get("dense_dropout", 0.0)),
        keras.layers.Dense(n_classes, activation="softmax"),
    ]
    model = keras.Sequential(layers, name=name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=architecture["learning_rate"]),
        # Label smoothing: the labels are a person's call on a continuum (an "undefined"
        # day lies between the other two), so the network is not pushed to certainty.
        loss=keras.losses.CategoricalCrossentropy(
            label_smoothing=float(architecture.get("label_smoothing", 0.0))
        ),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


def average_members(members: list[keras.Model]) -> keras.Model:
    """One model whose output is the mean of the members' class probabilities."""
    if len(members) == 1:
        return members[0]
    inputs = keras.Input(shape=members[0].input_shape[1:])
    outputs = keras.layers.Average()([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name="aerosol_day_cnn_ensemble")
