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
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # TensorFlow is imported only by the nodes that train
    import tensorflow as tf

logger = logging.getLogger(__name__)


def _parse(tf_config: str) -> dict:
    try:
        parsed = json.loads(tf_config)
    except json.JSONDecodeError as error:
        raise ValueError(f"TF_CONFIG is not JSON: {error}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("cluster", {}), dict):
        raise ValueError("TF_CONFIG must be a JSON object with a 'cluster' object")
    return parsed


def cluster_workers(tf_config: str | None) -> int:
    """Number of workers (chief included) that ``TF_CONFIG`` describes; 1 without it."""
    if not tf_config:
        return 1
    cluster = _parse(tf_config).get("cluster", {})
    return sum(len(cluster.get(role, [])) for role in ("chief", "worker")) or 1


def is_chief(tf_config: str | None) -> bool:
    """Whether this process writes the results: the chief, or worker 0 without a chief.

    The other workers of a multi-worker job train the same model (gradients are
    all-reduced) and must not save it again.
    """
    if cluster_workers(tf_config) == 1:
        return True
    config = _parse(tf_config)
    task = config.get("task", {})
    role, index = str(task.get("type", "worker")).lower(), int(task.get("index", 0))
    if "chief" in config.get("cluster", {}):
        return role == "chief"
    return role == "worker" and index == 0


@cache
def training_strategy() -> tf.distribute.Strategy:
    """The strategy of this process (created once: TensorFlow allows one per program)."""
    import tensorflow as tf

    workers = cluster_workers(os.environ.get("TF_CONFIG"))
    if workers > 1:
        logger.info("TF_CONFIG lists %d workers: MultiWorkerMirroredStrategy", workers)
        return tf.distribute.MultiWorkerMirroredStrategy()
    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        logger.info("%d GPUs: MirroredStrategy", len(gpus))
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()
