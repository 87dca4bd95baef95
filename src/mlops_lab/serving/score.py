"""Scoring script of the Azure ML managed online deployments (``init()`` / ``run()``).

Azure ML's inference server (``azureml-inference-server-http``, ``azmlinfsrv``) imports
this file, calls :func:`init` once per worker and :func:`run` for every ``POST /score``;
``GET /`` is its liveness and readiness probe, which answers only once :func:`init` has
loaded the model. The deployments (``deploy/azureml/endpoints/<model>/deployment.yml``)
upload the project's ``src`` folder as code, so the checks are the local endpoint's own
(:mod:`mlops_lab.serving.payload`): the same request formats, the same 4xx answers, the
same response body.

Settings come from the environment: ``AZUREML_MODEL_DIR`` (set by Azure: the registered
model's files, an MLflow model folder inside), ``MLOPS_LAB_MAX_BODY_BYTES`` and
``MLOPS_LAB_MAX_RECORDS`` (the deployment's ``environment_variables``).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import mlflow.pyfunc
from azureml.contrib.services.aml_request import rawhttp
from azureml.contrib.services.aml_response import AMLResponse

from mlops_lab.serving.payload import (
    JSON,
    Limits,
    RequestError,
    answer_json,
    check_content_type,
    check_size,
    input_columns,
    model_rejection,
    request_frame,
)

logger = logging.getLogger(__name__)

_served: dict[str, Any] = {}


def model_folder(model_dir: Path) -> Path:
    """The MLflow model folder (the one with an ``MLmodel`` file) under ``model_dir``."""
    found = sorted(model_dir.rglob("MLmodel"), key=lambda p: len(p.parts))
    if not found:
        raise FileNotFoundError(
            f"No MLflow model (an MLmodel file) under AZUREML_MODEL_DIR={model_dir}."
        )
    return found[0].parent


def identity(model_dir: Path, run_id: str | None) -> dict[str, Any]:
    """Name and version of the model, from Azure's ``.../<name>/<version>`` model folder."""
    version, name = model_dir.parts[-1], model_dir.parts[-2]
    return {"name": name, "version": version, "alias": None, "run_id": run_id}


def limits_from_environment() -> Limits:
    defaults = Limits()
    return Limits(
        max_body_bytes=int(os.environ.get("MLOPS_LAB_MAX_BODY_BYTES", defaults.max_body_bytes)),
        max_records=int(os.environ.get("MLOPS_LAB_MAX_RECORDS", defaults.max_records)),
        timeout_s=defaults.timeout_s,  # the deployment's request_settings.request_timeout_ms
    )


def init() -> None:
    """Load the deployed model once (Azure calls this before the probes succeed)."""
    model_dir = Path(os.environ["AZUREML_MODEL_DIR"])
    pyfunc = mlflow.pyfunc.load_model(str(model_folder(model_dir)))
    _served.update(
        model=pyfunc.unwrap_python_model(),
        columns=input_columns(pyfunc.metadata.signature),
        identity=json.dumps(identity(model_dir, pyfunc.metadata.run_id)),
        limits=limits_from_environment(),
    )
    logger.info("Scoring %s", _served["identity"])


@rawhttp
def run(request: Any) -> AMLResponse:
    """Score one request: predictions with the model version, or a 4xx naming the problem."""
    if request.method == "GET":  # GET /score: which model this is
        return AMLResponse(_served["identity"], 200, {"Content-Type": JSON})
    try:
        check_content_type(request.headers.get("Content-Type"))
        check_size(request.content_length or 0, _served["limits"])
        body = request.get_data(cache=False)
        frame = request_frame(body, _served["columns"], _served["limits"])
        try:
            predictions = _served["model"].predict(None, frame, None)
        except ValueError as error:  # the model's own judgement of the input
            raise model_rejection(error) from None
        return AMLResponse(
            answer_json(_served["identity"], predictions), 200, {"Content-Type": JSON}
        )
    except RequestError as error:
        return AMLResponse(json.dumps(error.body()), error.status, {"Content-Type": JSON})
