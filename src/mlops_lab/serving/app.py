"""The HTTP endpoint of one registered model version (FastAPI on uvicorn).

Routes:

- ``GET /health``: ``503 {"status": "loading"}`` until the model is loaded, then
  ``200 {"status": "Healthy", "model_name", "model_version", "alias"}`` (``503 {"status":
  "failed", ...}`` if loading failed).
- ``GET /schema``: the model's MLflow signature (inputs, outputs), the accepted request
  formats and the limits; ``GET /openapi.json`` describes the routes.
- ``POST /invocations``: MLflow scoring JSON in (see :mod:`mlops_lab.serving.payload`),
  ``{"model": {...}, "predictions": [...]}`` out.

The model is loaded once per worker process, in the background from start-up (so the
health route answers while it loads), through :func:`mlops_lab.registry.load_registered_model`
(the alias is resolved once: the worker serves that version until it restarts). Requests
are checked against the signature before the model is called; every client mistake is a
4xx with a message naming the field and row (``RequestError``), a ``ValueError`` raised by
the model for input it cannot predict is a 422 with the model's message. Predictions run
in worker threads (``prediction_threads`` at a time, as ``mlflow models serve`` runs them
in threads), each bounded by ``timeout_s`` (504). The model predicts its own input example
once before the worker reports ``Healthy``, so lazy set-up (Keras' predict function) is
done before requests arrive.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

import anyio
import mlflow
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mlops_lab.registry import CHAMPION, RegisteredModel, load_registered_model
from mlops_lab.serving.payload import (
    FORMATS,
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

CONFIG_VARIABLE = "MLOPS_LAB_SERVING_CONFIG"


@dataclass(frozen=True)
class ServingConfig:
    """Which model an endpoint serves and how.

    Args:
        model_name: Registered model name (``battery-cycles``, ...).
        reference: Alias (``champion``, ``challenger``) or version number.
        tracking_uri: MLflow tracking URI (None: MLflow's own default / environment).
        registry_uri: MLflow registry URI (None: the tracking URI).
        limits: Body size, records per request and time per request.
        prediction_threads: Predictions running at once in a worker.
    """

    model_name: str
    reference: str = CHAMPION
    tracking_uri: str | None = None
    registry_uri: str | None = None
    limits: Limits = field(default_factory=Limits)
    prediction_threads: int = 4

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServingConfig:
        values = json.loads(text)
        return cls(**{**values, "limits": Limits(**values.get("limits", {}))})


class LoadedModel:
    """The model a worker serves, loaded once in a background thread."""

    def __init__(self, config: ServingConfig) -> None:
        self.config = config
        self.status = "loading"
        self.error: str | None = None
        self.model: RegisteredModel | None = None
        self.signature: Any = None
        self.columns: Any = None
        self.identity = ""  # the "model" object of every answer, as JSON

    def load(self) -> None:
        """Load the registered version and its signature (sets ``status``)."""
        config = self.config
        try:
            if config.tracking_uri:
                mlflow.set_tracking_uri(config.tracking_uri)
            if config.registry_uri or config.tracking_uri:
                mlflow.set_registry_uri(config.registry_uri or config.tracking_uri)
            model = load_registered_model(config.model_name, config.reference)
            info = mlflow.models.get_model_info(f"models:/{model.name}/{model.version}")
            self.signature = info.signature
            self.columns = input_columns(info.signature)
            self.identity = json.dumps(self.describe(model))
            warm_up(model)
            self.model = model
            self.status = "Healthy"
            logger.info("Serving %s version %s (%s)", model.name, model.version, config.reference)
        except Exception as error:  # reported by /health; the worker stays up to say so
            logger.exception("Could not load %s@%s", config.model_name, config.reference)
            self.error = f"{type(error).__name__}: {error}"
            self.status = "failed"

    def describe(self, model: RegisteredModel) -> dict[str, Any]:
        reference = self.config.reference
        return {
            "name": model.name,
            "version": model.version,
            "alias": None if reference.isdigit() else reference,
            "run_id": model.run_id,
        }


def warm_up(model: RegisteredModel) -> None:
    """Predict the model's own input example once, so lazy set-up is done before requests.

    MLflow checked that example against the signature when the model was logged: a model
    that cannot predict it here (e.g. pickled by code that changed since) is broken, and
    the worker reports ``failed`` instead of ``Healthy``.
    """
    example = getattr(model.python_model, "input_example", None)
    if example is not None:
        model.predict(example)


def create_app(config: ServingConfig, load: bool = True) -> FastAPI:
    """The endpoint of ``config.model_name`` at ``config.reference`` (see the module docstring).

    Args:
        config: What to serve.
        load: Start loading the model at start-up (tests of the loading state pass False
            and call ``app.state.model.load()`` themselves).
    """
    served = LoadedModel(config)
    limits = config.limits

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if load:
            threading.Thread(target=served.load, name="model-loader", daemon=True).start()
        yield

    app = FastAPI(
        title=f"{config.model_name} ({config.reference})",
        description="Scoring endpoint of a registered MLflow model (mlops-lab).",
        lifespan=lifespan,
    )
    app.state.model = served
    app.state.limiter = anyio.CapacityLimiter(config.prediction_threads)

    @app.exception_handler(RequestError)
    async def rejected(request: Request, error: RequestError) -> JSONResponse:
        return JSONResponse(error.body(), status_code=error.status)

    @app.get("/health")
    async def health() -> JSONResponse:
        """``Healthy`` with the model name, version and alias once loaded; 503 before."""
        if served.model is None:
            body: dict[str, Any] = {"status": served.status, "model_name": config.model_name}
            if served.error:
                body["error"] = served.error
            return JSONResponse(body, status_code=503)
        model = served.describe(served.model)
        return JSONResponse(
            {
                "status": "Healthy",
                "model_name": model["name"],
                "model_version": model["version"],
                "alias": model["alias"],
            }
        )

    @app.get("/schema")
    async def schema() -> JSONResponse:
        """The model's MLflow signature, the accepted formats and the limits."""
        model = _ready(served)
        signature = served.signature
        return JSONResponse(
            {
                "model": served.describe(model),
                "inputs": signature.inputs.to_dict() if signature else None,
                "outputs": signature.outputs.to_dict() if signature and signature.outputs else None,
                "formats": list(FORMATS),
                "limits": limits.as_dict(),
            }
        )

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        """Predictions for the records in the body, with the version that made them."""
        model = _ready(served)
        check_content_type(request.headers.get("content-type"))
        body = await _read_body(request, limits)
        frame = request_frame(body, served.columns, limits)
        predictions = await _predict(model, frame, limits, app.state.limiter)
        content = answer_json(served.identity, predictions)
        return Response(content=content, media_type=JSON)

    return app


def app_from_environment() -> FastAPI:
    """The app of the configuration in ``MLOPS_LAB_SERVING_CONFIG`` (one per uvicorn worker)."""
    text = os.environ.get(CONFIG_VARIABLE)
    if not text:
        raise RuntimeError(
            f"{CONFIG_VARIABLE} is not set: start the server with `kedro serve` or "
            "`python -m mlops_lab.serving`."
        )
    return create_app(ServingConfig.from_json(text))


def _ready(served: LoadedModel) -> RegisteredModel:
    if served.model is None:
        raise RequestError(
            503,
            served.status,
            f"{served.config.model_name}@{served.config.reference} is {served.status}"
            + (f": {served.error}" if served.error else "; retry when /health says Healthy."),
        )
    return served.model


async def _read_body(request: Request, limits: Limits) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        check_size(int(declared), limits)
    chunks, size = [], 0
    try:
        with anyio.fail_after(limits.timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                check_size(size, limits)
                chunks.append(chunk)
    except TimeoutError:
        raise RequestError(
            408, "request_timeout", f"The body did not arrive within {limits.timeout_s:g} s."
        ) from None
    return b"".join(chunks)


async def _predict(
    model: RegisteredModel, frame: Any, limits: Limits, limiter: anyio.CapacityLimiter
) -> Any:
    try:
        with anyio.fail_after(limits.timeout_s):
            return await anyio.to_thread.run_sync(
                model.predict, frame, abandon_on_cancel=True, limiter=limiter
            )
    except TimeoutError:
        logger.warning("Prediction took more than %s s", limits.timeout_s)
        raise RequestError(
            504,
            "prediction_timeout",
            f"The model did not answer within {limits.timeout_s:g} s; send fewer records.",
        ) from None
    except ValueError as error:  # the model's own judgement of the input
        raise model_rejection(error) from None
