"""Every recurrent layer the project trains can run on cuDNN, and every node that trains a
Keras network is sent to the GPU compute.

Keras uses the cuDNN LSTM kernel only with tanh / sigmoid activations, no recurrent
dropout, ``unroll=False`` and ``use_bias=True`` (and right-padded masks); any other setting
silently falls back to the generic kernel, several times slower on a GPU.
"""

from __future__ import annotations

import keras
import pytest

from mlops_lab.battery.lstm import build_network
from mlops_lab.components.vectoriser import build_classifier

BUILDERS = {
    "component-compliance": lambda: build_classifier(
        vocabulary_size=50,
        sequence_length=12,
        embedding_dim=8,
        lstm_units=4,
        dropout=0.2,
        learning_rate=1e-3,
    ),
    "battery-cycles-lstm": lambda: build_network(
        window=14, horizon=30, units=[8, 4], dense_units=8, learning_rate=1e-3
    ),
}


def _recurrent_layers(model: keras.Model) -> list[keras.layers.Layer]:
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            found += [layer.forward_layer, layer.backward_layer]
        elif isinstance(layer, keras.layers.RNN):
            found.append(layer)
    return found


@pytest.mark.parametrize("name", BUILDERS)
def test_recurrent_layers_meet_cudnns_conditions(name):
    layers = _recurrent_layers(BUILDERS[name]())
    assert layers, f"{name}: no recurrent layer found"
    for layer in layers:
        assert isinstance(layer, keras.layers.LSTM | keras.layers.GRU), layer
        config = layer.get_config()
        assert config["activation"] == "tanh", (name, layer.name)
        assert config["recurrent_activation"] == "sigmoid", (name, layer.name)
        assert config["recurrent_dropout"] == 0, (name, layer.name)
        assert config["unroll"] is False and config["use_bias"] is True, (name, layer.name)


def test_nodes_that_train_networks_are_tagged_for_the_gpu_compute(registered_pipelines):
    trainers = {"train_cnn", "train_compliance_classifier", "train_battery_lstm"}
    seen = set()
    for pipeline in registered_pipelines.values():
        for node in pipeline.nodes:
            if node.name in trainers:
                assert {"gpu", "training"} <= set(node.tags), node.name
                seen.add(node.name)
    assert seen == trainers
