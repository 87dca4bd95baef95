"""The ``tf.distribute`` strategy a training node builds its model under.

Locally and on one Azure ML node this is TensorFlow's default strategy (one device, or
``MirroredStrategy`` over the GPUs of a multi-GPU node). When Azure ML runs a step as a
multi-node TensorFlow job (``azureml.yml``: ``compute.gpu.num_nodes`` above 1, see
:mod:`mlops_lab.azure.generator`), the service sets ``TF_CONFIG`` on every node and the
model is built under ``MultiWorkerMirroredStrategy``: each node trains on its shard of
every batch and the gradients are all-reduced, so the fitted model is the same one.
"""

from __future__ import annotations

import json
import logging
import os
from functools import cache

import tensorflow as tf

logger = logging.getLogger(__name__)


def cluster_workers(tf_config: str | None) -> int:
    """Number of workers (chief included) that ``TF_CONFIG`` describes; 1 without it."""
    if not tf_config:
        return 1
    try:
        cluster = json.loads(tf_config).get("cluster", {})
    except (json.JSONDecodeError, AttributeError) as error:
        raise ValueError(f"TF_CONFIG is not a JSON object with a 'cluster': {error}") from None
    return sum(len(cluster.get(role, [])) for role in ("chief", "worker")) or 1


@cache
def training_strategy() -> tf.distribute.Strategy:
    """The strategy of this process (created once: TensorFlow allows one per program)."""
    workers = cluster_workers(os.environ.get("TF_CONFIG"))
    if workers > 1:
        logger.info("TF_CONFIG lists %d workers: MultiWorkerMirroredStrategy", workers)
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        logger.info("%d GPUs: MirroredStrategy", len(gpus))
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
