"""The endpoint over real HTTP: health, schema, each model's predictions, each bad request."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from tests.serving.conftest import start_endpoint, wait_healthy
from tests.serving.models import AEROSOL, BATTERY, COMPONENTS, SLEEPY

from mlops_lab.serving.app import ServingConfig
from mlops_lab.serving.payload import Limits, frame_of, input_columns

pytestmark = pytest.mark.slow


def records(frame: pd.DataFrame) -> list[dict]:
    """A DataFrame as the JSON records a client sends."""
    return json.loads(frame.to_json(orient="records", date_format="iso"))


def example_request(registered, name: str) -> list[dict]:
    """A registered model's input example as JSON records (dates as YYYY-MM-DD)."""
    example = registered[name].python_model.input_example
    dates = example.select_dtypes("datetime").columns
    return records(example.assign(**{c: example[c].dt.strftime("%Y-%m-%d") for c in dates}))


def battery_request(registered) -> list[dict]:
    return example_request(registered, BATTERY)


def test_health_reports_the_loaded_version_and_alias(endpoints):
    for name in (BATTERY, AEROSOL, COMPONENTS):
        answer = endpoints[name].get("/health")
        assert answer.status_code == 200
        assert answer.json() == {
            "status": "Healthy",
            "model_name": name,
            "model_version": "1",
            "alias": "champion",
        }


def test_health_says_loading_until_the_model_is_loaded(registry_uri):
    endpoint = start_endpoint(ServingConfig(BATTERY, "1", registry_uri), load=False)
    try:
        loading = endpoint.get("/health")
        assert (loading.status_code, loading.json()["status"]) == (503, "loading")
        refused = endpoint.post({"dataframe_records": [{"x": 1}]})
        assert (refused.status_code, refused.json()["error"]) == (503, "loading")
        endpoint.app.state.model.load()
        assert wait_healthy(endpoint) == {
            "status": "Healthy",
            "model_name": BATTERY,
            "model_version": "1",
            "alias": None,  # served by version number
        }
    finally:
        endpoint.stop()


def test_a_missing_model_is_reported_failed_not_healthy(registry_uri):
    endpoint = start_endpoint(ServingConfig("no-such-model", "champion", registry_uri))
    try:
        with pytest.raises(RuntimeError, match="no-such-model"):
            wait_healthy(endpoint, seconds=20)
        assert endpoint.get("/health").status_code == 503
    finally:
        endpoint.stop()


def test_schema_publishes_the_signature_and_limits(endpoints):
    schema = endpoints[BATTERY].get("/schema").json()
    assert schema["inputs"] == [
        {"type": "datetime", "name": "Date", "required": True},
        {"type": "long", "name": "Battery_ID", "required": True},
        {"type": "double", "name": "Battery_Age_Days", "required": True},
        {"type": "double", "name": "Daily_Trip_Duration", "required": True},
    ]
    assert [c["name"] for c in schema["outputs"]][:3] == ["Date", "Battery_ID", "forecast"]
    assert schema["limits"]["max_records"] == 2_000
    assert schema["model"]["version"] == "1"
    assert "/invocations" in endpoints[BATTERY].get("/openapi.json").json()["paths"]


def test_battery_forecasts_equal_in_process_predict(endpoints, registered):
    model = registered[BATTERY]
    sent = battery_request(registered)
    answer = endpoints[BATTERY].post({"dataframe_records": sent})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model"]["name"] == BATTERY and body["model"]["version"] == "1"
    served = pd.DataFrame(body["predictions"])
    expected = model.predict(model.python_model.input_example)
    assert served["Battery_ID"].tolist() == expected["Battery_ID"].tolist() == [1, 1, 1, 2, 2, 2]
    assert pd.to_datetime(served["Date"]).tolist() == expected["Date"].tolist()
    for column in ("forecast", "lower_95", "lower_80", "upper_80", "upper_95"):
        np.testing.assert_allclose(served[column], expected[column], rtol=1e-9)
    # One battery's next day alone: the same forecast as in the full request (no refit).
    single = endpoints[BATTERY].post({"dataframe_records": sent[3:4]}).json()["predictions"]
    assert single[0]["forecast"] == pytest.approx(expected["forecast"].iloc[3], rel=1e-9)


def test_split_format_gives_the_same_forecasts(endpoints, registered):
    sent = battery_request(registered)
    columns = list(sent[0])
    split = {"columns": columns, "data": [[r[c] for c in columns] for r in sent]}
    by_split = endpoints[BATTERY].post({"dataframe_split": split}).json()["predictions"]
    by_records = endpoints[BATTERY].post({"dataframe_records": sent}).json()["predictions"]
    assert by_split == by_records


def test_aerosol_day_classes_equal_in_process_predict(endpoints, registered):
    model = registered[AEROSOL]
    day = model.python_model.input_example
    answer = endpoints[AEROSOL].post({"dataframe_records": records(day)})
    assert answer.status_code == 200, answer.text
    served = pd.DataFrame(answer.json()["predictions"])
    expected = model.predict(day)
    assert served["date"].tolist() == expected["date"].tolist() == ["2005-05-01"]
    assert served["predicted_class"].tolist() == expected["predicted_class"].tolist()
    assert served["status"].tolist() == ["classified"]
    probabilities = [c for c in expected if c.startswith("probability_")]
    np.testing.assert_allclose(served[probabilities], expected[probabilities], rtol=1e-6)


def test_component_probabilities_equal_in_process_predict(endpoints, registered):
    texts = [*registered[COMPONENTS].python_model.input_example["text"], "Plastic part, 2003."]
    answer = endpoints[COMPONENTS].post({"dataframe_records": [{"text": t} for t in texts]})
    assert answer.status_code == 200, answer.text
    served = pd.DataFrame(answer.json()["predictions"])
    expected = registered[COMPONENTS].predict(pd.DataFrame({"text": texts}))
    np.testing.assert_allclose(served["probability"], expected["probability"], rtol=1e-6)
    assert served["label"].tolist() == expected["label"].tolist()


def rejected(answer, status: int, error: str, *fragments: str) -> dict:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["error"] == error, body
    for fragment in fragments:
        assert fragment in body["message"], body["message"]
    return body


def test_malformed_requests_get_400_415_naming_the_problem(endpoints):
    battery = endpoints[BATTERY]
    rejected(
        battery.post(raw=b'{"dataframe_records": [{"Date": '),
        400,
        "invalid_json",
        "line 1 column 33",
    )
    rejected(battery.post(raw=b""), 400, "empty_body")
    rejected(battery.post(raw=b"\xff\xfe{}"), 400, "invalid_encoding", "UTF-8")
    rejected(
        battery.post(raw=b'{"dataframe_records": [{"Battery_Age_Days": NaN}]}'),
        400,
        "invalid_json",
        "NaN is not a JSON number",
    )
    rejected(
        battery.post(raw=b'{"dataframe_records": [{"x": -Infinity}]}'),
        400,
        "invalid_json",
        "-Infinity",
    )
    rejected(
        battery.post(raw=b"{}", **{"Content-Type": "text/csv"}),
        415,
        "unsupported_media_type",
        "text/csv",
    )


def test_requests_that_break_the_signature_get_422_naming_field_and_row(endpoints, registered):
    battery = endpoints[BATTERY]
    good = battery_request(registered)

    def with_change(row: int, **fields) -> dict:
        changed = [dict(r) for r in good]
        changed[row].update(fields)
        return {"dataframe_records": changed}

    body = rejected(
        battery.post(with_change(2, Battery_ID="one")),
        422,
        "invalid_value",
        "Record 2: field 'Battery_ID'",
        "expected an integer",
    )
    assert (body["field"], body["row"]) == ("Battery_ID", 2)
    rejected(battery.post(with_change(1, Battery_ID=True)), 422, "invalid_value", "an integer")
    overflow = json.dumps(with_change(0, Daily_Trip_Duration=12345.0)).replace("12345.0", "1e400")
    rejected(
        battery.post(raw=overflow.encode()),
        422,
        "invalid_value",
        "Record 0: field 'Daily_Trip_Duration'",
        "a finite number",
    )
    rejected(
        battery.post(with_change(0, Daily_Trip_Duration=[1, 2])),
        422,
        "invalid_value",
        "a JSON array",
    )
    rejected(
        battery.post(with_change(4, Date="yesterday")),
        422,
        "invalid_value",
        "Record 4: field 'Date'",
        "ISO 8601",
    )
    rejected(
        battery.post(with_change(3, Daily_Trip_Duration=None)),
        422,
        "missing_field",
        "Record 3: field 'Daily_Trip_Duration' is null",
        "(required)",
    )
    missing = [dict(r) for r in good]
    del missing[5]["Battery_Age_Days"]
    rejected(
        battery.post({"dataframe_records": missing}),
        422,
        "missing_field",
        "Record 5: field 'Battery_Age_Days' is missing",
    )
    rejected(
        battery.post(with_change(0, colour="red")),
        422,
        "unknown_field",
        "Record 0: unknown field 'colour'",
        "Battery_ID",
    )
    rejected(battery.post({"dataframe_records": []}), 422, "no_records")
    rejected(battery.post({"records": good}), 422, "invalid_payload", "dataframe_records")
    rejected(battery.post([1, 2]), 422, "invalid_payload", "got a JSON array")
    rejected(
        battery.post({"dataframe_records": [good[0], 7]}),
        422,
        "invalid_record",
        "Record 1 is a JSON number",
    )
    split = {"columns": ["Date", "Battery_ID"], "data": [["2015-07-20"]]}
    rejected(
        battery.post({"dataframe_split": split}),
        422,
        "invalid_record",
        "Row 0 of 'dataframe_split.data' must be a list of 2 values",
    )


def test_what_only_the_model_can_judge_is_422_with_its_message(endpoints, registered):
    good = battery_request(registered)
    unknown = [dict(good[0], Battery_ID=7)]
    rejected(
        endpoints[BATTERY].post({"dataframe_records": unknown}),
        422,
        "invalid_input",
        "No history for battery 7",
    )
    late = [dict(good[0], Date="2015-08-01")]
    rejected(
        endpoints[BATTERY].post({"dataframe_records": late}),
        422,
        "invalid_input",
        "Battery 1: the days to forecast must be the 1 consecutive days after",
    )
    day = records(registered[AEROSOL].python_model.input_example)
    body = rejected(
        endpoints[AEROSOL].post({"dataframe_records": day[:5]}),
        422,
        "not_predictable",
        "partial day: 5 of 144 time steps",
        "2005-05-01",
    )
    assert "row" not in body
    bad_hour = [dict(r, Hour=99) for r in day]
    rejected(
        endpoints[AEROSOL].post({"dataframe_records": bad_hour}),
        422,
        "invalid_input",
        "column 'Hour': expected an integer in [0, 23]",
    )
    texts = [{"text": "Steel part, 1990."}, {"text": ""}, {"text": "x" * 300}]
    rejected(
        endpoints[COMPONENTS].post({"dataframe_records": texts}),
        422,
        "invalid_input",
        "2 input row(s) cannot be classified",  # rows 1 and 2, each with its reason
        "1: 'empty text'",
        "200 characters",
    )


def test_size_and_record_limits_answer_413(endpoints, registered):
    good = battery_request(registered)
    too_many = {"dataframe_records": good * 400}  # 2,400 records > 2,000
    rejected(endpoints[BATTERY].post(too_many), 413, "too_many_records", "at most 2000")
    huge = b'{"dataframe_records": [' + b" " * 2_100_000 + b"]}"
    rejected(endpoints[BATTERY].post(raw=huge), 413, "body_too_large", "at most 2000000 bytes")
    assert endpoints[BATTERY].post({"dataframe_records": good}).status_code == 200


def test_a_prediction_over_the_time_limit_answers_504_and_the_server_goes_on(registry_uri):
    config = ServingConfig(SLEEPY, "1", registry_uri, limits=Limits(timeout_s=0.3))
    endpoint = start_endpoint(config)
    try:
        wait_healthy(endpoint)
        slow = endpoint.post({"dataframe_records": [{"seconds": 1.0}]})
        rejected(slow, 504, "prediction_timeout", "within 0.3 s")
        quick = endpoint.post({"dataframe_records": [{"seconds": 0.01}]})
        assert quick.json()["predictions"] == [{"slept": 0.01}]
    finally:
        endpoint.stop()


def test_frame_follows_the_signature_types(registered):
    from mlflow.models import infer_signature

    example = registered[BATTERY].python_model.input_example
    columns = input_columns(infer_signature(example))
    frame = frame_of(battery_request(registered), columns)
    pd.testing.assert_frame_equal(frame, example.reset_index(drop=True), check_dtype=False)
    assert frame.dtypes.astype(str).tolist() == ["datetime64[ns]", "int64", "float64", "float64"]
