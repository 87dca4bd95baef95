"""The Azure ML online endpoints: specs checked by azure-ai-ml's own loaders, and the
scoring script served by Azure's inference server (its own venv) on loopback."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time

import mlflow
import pandas as pd
import pytest
import requests
import yaml
from tests.conftest import PROJECT_ROOT
from tests.serving.conftest import MODELS, free_port
from tests.serving.models import AEROSOL, BATTERY, COMPONENTS, LSTM, MAINTENANCE
from tests.serving.test_endpoint import example_request

from mlops_lab.serving.environment import CONDA, LOCK, conda_file, pins
from mlops_lab.serving.payload import Limits, frame_of, input_columns

ENDPOINTS = PROJECT_ROOT / "deploy/azureml/endpoints"
INFERENCE_SERVER = PROJECT_ROOT / ".venv-inference/bin/azmlinfsrv"
azure_ml = pytest.importorskip("azure.ai.ml")


@pytest.mark.parametrize("name", MODELS)
def test_endpoint_and_deployment_specs_load_with_the_sdk(name):
    endpoint = azure_ml.load_online_endpoint(ENDPOINTS / name / "endpoint.yml")
    deployment = azure_ml.load_online_deployment(ENDPOINTS / name / "deployment.yml")
    assert (endpoint.name, endpoint.auth_mode) == (name, "key")
    if name == BATTERY:
        assert endpoint.description == "The best AutoML model to predict battery cycles."
    assert deployment.endpoint_name == name
    assert deployment.model == f"{name}@latest"  # `--set model=azureml:<name>:<version>`
    code = (ENDPOINTS / name / deployment.code_configuration.code).resolve()
    assert code == PROJECT_ROOT / "src"
    script = code / deployment.code_configuration.scoring_script
    assert script == PROJECT_ROOT / "src/mlops_lab/serving/score.py"
    assert deployment.instance_type == "Standard_DS3_v2"
    conda = deployment.environment.conda_file
    assert conda["dependencies"][-1]["pip"] == pins((PROJECT_ROOT / LOCK).read_text())
    assert "azureml-inference-server-http==1.5.1" in conda["dependencies"][-1]["pip"]
    assert deployment.liveness_probe.failure_threshold * deployment.liveness_probe.period >= 300
    assert deployment.readiness_probe.period == 10
    limits = Limits(
        max_body_bytes=int(deployment.environment_variables["MLOPS_LAB_MAX_BODY_BYTES"]),
        max_records=int(deployment.environment_variables["MLOPS_LAB_MAX_RECORDS"]),
        timeout_s=deployment.request_settings.request_timeout_ms / 1000,
    )
    assert limits == Limits()  # the same limits as `kedro serve` by default


def test_the_conda_file_is_the_inference_lock():
    assert (PROJECT_ROOT / CONDA).read_text() == conda_file((PROJECT_ROOT / LOCK).read_text())


def sample(name: str) -> list[dict]:
    return json.loads((ENDPOINTS / name / "sample-request.json").read_text())["dataframe_records"]


def test_sample_requests_are_what_the_models_accept(registered):
    battery = registered[BATTERY]
    signature = mlflow.models.infer_signature(battery.python_model.input_example)
    frame = frame_of(sample(BATTERY), input_columns(signature))
    shipped = pd.read_csv(PROJECT_ROOT / "data/01_raw/battery/daily-battery-time-series.csv")
    last = shipped[shipped["Battery_ID"] == 0].iloc[-1]
    assert frame["Date"].iloc[0] == pd.Timestamp(last["Date"]) + pd.Timedelta(days=1)
    assert frame["Battery_Age_Days"].iloc[0] == last["Battery_Age_Days"] + 1
    day = registered[AEROSOL].predict(pd.DataFrame(sample(AEROSOL)))
    assert day["status"].tolist() == ["classified"]  # a complete day on the 2005 grid
    texts = registered[COMPONENTS].predict(pd.DataFrame(sample(COMPONENTS)))
    assert len(texts) == 2


def typed_sample(name: str, registered) -> pd.DataFrame:
    """A sample request as the endpoint types it (the registered signature's checks)."""
    info = mlflow.models.get_model_info(f"models:/{name}/{registered[name].version}")
    return frame_of(sample(name), input_columns(info.signature))


def parameters(pipeline: str) -> dict:
    text = (PROJECT_ROOT / f"conf/base/parameters_{pipeline}.yml").read_text()
    return yaml.safe_load(text)[pipeline]


def test_maintenance_sample_is_the_registered_framings_fields_of_real_visits(
    registry_uri, registered
):
    from mlops_lab.maintenance.features import raw_fields_for

    training = parameters("maintenance_training")
    framing = training["framings"][training["model_card"]["framing"]]
    mlflow.set_tracking_uri(registry_uri)
    try:
        frame = typed_sample(MAINTENANCE, registered)
    finally:
        mlflow.set_tracking_uri(None)
    assert list(frame.columns) == list(raw_fields_for(framing["features"]))
    shipped = pd.read_csv(PROJECT_ROOT / "data/01_raw/maintenance/car-maintenance-data.csv")
    visits = shipped[list(frame.columns)].tail(len(frame)).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        frame, visits.astype({c: "datetime64[ns]" for c in frame if c.startswith("date-")})
    )
    predicted = registered[MAINTENANCE].predict(frame)
    assert predicted["probability"].between(0, 1).all() and len(predicted) == 2


def test_lstm_sample_is_the_last_window_of_the_shipped_battery(registry_uri, registered):
    window = parameters("battery_deep_forecasting")["windows"]["length"]
    mlflow.set_tracking_uri(registry_uri)
    try:
        frame = typed_sample(LSTM, registered)
    finally:
        mlflow.set_tracking_uri(None)
    shipped = pd.read_csv(PROJECT_ROOT / "data/01_raw/battery/daily-battery-time-series.csv")
    days = shipped[shipped["Battery_ID"] == 0].tail(window)[list(frame.columns)]
    pd.testing.assert_frame_equal(
        frame, days.reset_index(drop=True).astype({"Date": "datetime64[ns]"})
    )
    forecast = registered[LSTM].predict(frame)  # the stand-in reads the last 7 of the days
    assert forecast["Date"].iloc[0] == pd.Timestamp(days["Date"].iloc[-1]) + pd.Timedelta(days=1)


def scoring_payloads(name: str, registered) -> list[dict]:
    """A valid request, one the signature refuses and one only the model refuses."""
    good = example_request(registered, name)
    field, wrong, judged = {
        BATTERY: ("Battery_ID", "x", {"Battery_ID": 7}),
        MAINTENANCE: ("car-age-in-months", "x", {"car-age-in-months": -5}),
    }[name]
    return [
        {"dataframe_records": good},
        {"dataframe_records": [dict(good[0], **{field: wrong})]},
        {"dataframe_records": [dict(good[0], **judged)]},
    ]


@pytest.mark.slow
# Not the LSTM: TensorFlow would add its import to the server's start-up in every run.
@pytest.mark.parametrize("name", [BATTERY, MAINTENANCE])
def test_azure_inference_server_runs_the_scoring_script_like_the_local_endpoint(
    name, registry_uri, endpoints, registered, tmp_path
):
    if not INFERENCE_SERVER.exists():
        message = f"{INFERENCE_SERVER.relative_to(PROJECT_ROOT)} missing: run `make inference-env`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # The registered version's files, laid out as Azure mounts them (AZUREML_MODEL_DIR).
    model_dir = tmp_path / "azureml-models" / name / "1"
    mlflow.set_tracking_uri(registry_uri)
    mlflow.set_registry_uri(registry_uri)
    mlflow.artifacts.download_artifacts(
        artifact_uri=f"models:/{name}/1", dst_path=str(model_dir / "model")
    )
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("MLFLOW_")}
    environment.update(MLFLOW_DISABLE_TELEMETRY="true", AML_APP_ROOT=str(PROJECT_ROOT / "src"))
    log = (tmp_path / "azmlinfsrv.log").open("w")
    server = subprocess.Popen(
        [
            str(INFERENCE_SERVER),
            "--entry_script",
            "mlops_lab/serving/score.py",
            "--model_dir",
            str(model_dir),
            "--port",
            str(port),
            "--health_port",
            str(free_port()),
        ],
        cwd=PROJECT_ROOT / "src",
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (tmp_path / "azmlinfsrv.log").read_text()[-3000:]
            try:
                if requests.get(url, timeout=2).text.strip() == "Healthy":
                    break
            except requests.RequestException:  # not listening yet, or busy in init()
                pass
            assert time.monotonic() < deadline, "the inference server did not become healthy"
            time.sleep(0.3)
        assert requests.get(f"{url}/score", timeout=5).json()["version"] == "1"

        for payload in scoring_payloads(name, registered):
            on_azure = requests.post(f"{url}/score", json=payload, timeout=30)
            local = endpoints[name].post(payload)
            assert on_azure.status_code == local.status_code, on_azure.text
            azure_body, local_body = on_azure.json(), local.json()
            if "model" in local_body:
                assert azure_body["model"]["name"] == name
                assert azure_body["model"]["version"] == local_body["model"]["version"]
                assert azure_body["predictions"] == local_body["predictions"]
            else:
                assert azure_body == local_body
        malformed = requests.post(
            f"{url}/score",
            data=b'{"dataframe_records": [',
            timeout=10,
            headers={"Content-Type": "application/json"},
        )
        assert (malformed.status_code, malformed.json()["error"]) == (400, "invalid_json")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(model_dir, ignore_errors=True)
