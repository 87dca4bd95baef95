"""``car-maintenance`` and ``battery-cycles-lstm`` over real HTTP: schema, answers, refusals.

Each valid request is answered as the registered model answers it in process; each bad
field is a 422 whose body names it: the endpoint's signature checks (a missing field, a
wrong type, an impossible date) before the model is called, the model's own checks (a
negative value, a visit before the purchase, too short a history) after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.battery.synthetic import make_series
from tests.conftest import PROJECT_ROOT
from tests.serving.models import LSTM, MAINTENANCE
from tests.serving.test_endpoint import example_request, records

pytestmark = pytest.mark.slow

RAW_VISITS = PROJECT_ROOT / "data/01_raw/maintenance/car-maintenance-data.csv"


def answer_of(response) -> tuple[int, dict]:
    return response.status_code, response.json()


def changed(good: list[dict], row: int, **fields) -> dict:
    """The request with some fields of one record replaced (None: the field removed)."""
    sent = [dict(record) for record in good]
    sent[row].update({k: v for k, v in fields.items() if v is not None})
    for name in [k for k, v in fields.items() if v is None]:
        del sent[row][name]
    return {"dataframe_records": sent}


# ------------------------------------------------------------------ car-maintenance
@pytest.fixture(scope="module")
def unseen_visits(registered) -> pd.DataFrame:
    """20 visits of the real file the stand-in was not fitted on (the raw fields it reads)."""
    fields = registered[MAINTENANCE].python_model.raw_fields
    return pd.read_csv(RAW_VISITS, skiprows=range(1, 2001), nrows=20)[fields]


def test_maintenance_schema_lists_the_framings_raw_fields(endpoints):
    schema = endpoints[MAINTENANCE].get("/schema").json()
    assert schema["inputs"] == [
        {"type": "string", "name": "car-make", "required": True},
        {"type": "string", "name": "engine-type", "required": True},
        {"type": "datetime", "name": "date-bought-car", "required": True},
        {"type": "datetime", "name": "date-of-visit", "required": True},
        {"type": "long", "name": "car-age-in-months", "required": True},
    ]
    assert schema["outputs"] == [
        {"type": "double", "name": "probability", "required": True},
        {"type": "long", "name": "label", "required": True},
    ]


def test_maintenance_probabilities_equal_in_process_predict(endpoints, registered, unseen_visits):
    answer = endpoints[MAINTENANCE].post({"dataframe_records": records(unseen_visits)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["model"]["name"] == MAINTENANCE
    served = pd.DataFrame(answer.json()["predictions"])
    expected = registered[MAINTENANCE].predict(unseen_visits)  # as pandas read the file
    # The answer's numbers carry 10 decimals (pandas' JSON), hence the absolute tolerance.
    np.testing.assert_allclose(
        served["probability"], expected["probability"], rtol=1e-9, atol=1e-10
    )
    assert served["label"].tolist() == expected["label"].tolist()
    assert served["probability"].nunique() > 5  # the visits are told apart


def test_maintenance_refuses_each_bad_field_naming_it(endpoints, registered):
    endpoint, good = endpoints[MAINTENANCE], example_request(registered, MAINTENANCE)
    assert answer_of(endpoint.post(changed(good, 1, **{"date-of-visit": None}))) == (
        422,
        {
            "error": "missing_field",
            "message": "Record 1: field 'date-of-visit' is missing; expected an ISO 8601 date "
            "or time string (required).",
            "field": "date-of-visit",
            "row": 1,
        },
    )
    assert answer_of(endpoint.post(changed(good, 0, **{"car-age-in-months": "ninety"}))) == (
        422,
        {
            "error": "invalid_value",
            "message": "Record 0: field 'car-age-in-months' is a JSON string (\"ninety\"); "
            "expected an integer.",
            "field": "car-age-in-months",
            "row": 0,
        },
    )
    assert answer_of(endpoint.post(changed(good, 2, **{"date-bought-car": "2013-02-30"}))) == (
        422,
        {
            "error": "invalid_value",
            "message": "Record 2: field 'date-bought-car' is a JSON string (\"2013-02-30\"); "
            "expected an ISO 8601 date or time string, e.g. 2017-03-20.",
            "field": "date-bought-car",
            "row": 2,
        },
    )
    assert answer_of(endpoint.post(changed(good, 0, gender="Female"))) == (
        422,
        {
            "error": "unknown_field",
            "message": "Record 0: unknown field 'gender'; this model accepts [car-make, "
            "engine-type, date-bought-car, date-of-visit, car-age-in-months] (5 fields).",
            "field": "gender",
            "row": 0,
        },
    )


def test_maintenance_values_only_the_model_judges_are_422_naming_field_and_row(
    endpoints, registered
):
    endpoint, good = endpoints[MAINTENANCE], example_request(registered, MAINTENANCE)
    assert answer_of(endpoint.post(changed(good, 2, **{"car-age-in-months": -5}))) == (
        422,
        {
            "error": "invalid_input",
            "message": "car-maintenance model input failed validation:\n  - column "
            "'car-age-in-months': expected greater_than_or_equal_to(0); failed at rows [2] "
            "(values [-5]; 1 failure(s) in all)",
        },
    )
    bought = good[1]["date-bought-car"]
    assert answer_of(endpoint.post(changed(good, 1, **{"date-of-visit": "1999-12-31"}))) == (
        422,
        {
            "error": "invalid_input",
            "message": "car-maintenance model input: field 'date-of-visit': expected a date "
            "not before 'date-bought-car'; failed at rows [1] (date-bought-car -> "
            f"date-of-visit: ['{bought} -> 1999-12-31']).",
        },
    )
    _, body = answer_of(endpoint.post(changed(good, 0, **{"car-make": ""})))
    assert body["error"] == "invalid_input"
    assert "column 'car-make': expected str_length(1, None); failed at rows [0]" in body["message"]


# ------------------------------------------------------------------ battery-cycles-lstm
def lstm_history() -> pd.DataFrame:
    """Ten days of battery 2 and eight of battery 5 (another draw than the training series)."""
    history = make_series({2: 10, 5: 8}, seed=4, start="2016-05-01")
    return history.drop(columns="Battery_Age_Days").sample(frac=1.0, random_state=1)


def lstm_request(history: pd.DataFrame) -> list[dict]:
    return records(history.assign(Date=history["Date"].dt.strftime("%Y-%m-%d")))


def test_lstm_schema_lists_the_history_fields(endpoints):
    schema = endpoints[LSTM].get("/schema").json()
    assert schema["inputs"] == [
        {"type": "datetime", "name": "Date", "required": True},
        {"type": "long", "name": "Battery_ID", "required": True},
        {"type": "double", "name": "Daily_Trip_Duration", "required": True},
        {"type": "double", "name": "Daily_Cycles_Used", "required": True},
    ]
    assert [c["name"] for c in schema["outputs"]] == ["Date", "Battery_ID", "forecast"]


def test_lstm_forecasts_equal_in_process_predict(endpoints, registered):
    history = lstm_history()
    answer = endpoints[LSTM].post({"dataframe_records": lstm_request(history)})
    assert answer.status_code == 200, answer.text
    served = pd.DataFrame(answer.json()["predictions"])
    expected = registered[LSTM].predict(history)
    assert served["Battery_ID"].tolist() == expected["Battery_ID"].tolist() == [2] * 3 + [5] * 3
    assert pd.to_datetime(served["Date"]).tolist() == expected["Date"].tolist()
    assert served["Date"].tolist()[:4] == [
        "2016-05-11T00:00:00",  # battery 2's history ends on 2016-05-10
        "2016-05-12T00:00:00",
        "2016-05-13T00:00:00",
        "2016-05-09T00:00:00",  # battery 5's on 2016-05-08
    ]
    np.testing.assert_allclose(served["forecast"], expected["forecast"], rtol=1e-6)
    assert served["forecast"].nunique() == 6


def test_lstm_refuses_each_bad_field_naming_it(endpoints, registered):
    endpoint, good = endpoints[LSTM], example_request(registered, LSTM)
    assert answer_of(endpoint.post(changed(good, 3, Daily_Cycles_Used=None))) == (
        422,
        {
            "error": "missing_field",
            "message": "Record 3: field 'Daily_Cycles_Used' is missing; expected a number "
            "(required).",
            "field": "Daily_Cycles_Used",
            "row": 3,
        },
    )
    assert answer_of(endpoint.post(changed(good, 1, Daily_Trip_Duration="long"))) == (
        422,
        {
            "error": "invalid_value",
            "message": "Record 1: field 'Daily_Trip_Duration' is a JSON string (\"long\"); "
            "expected a number.",
            "field": "Daily_Trip_Duration",
            "row": 1,
        },
    )
    assert answer_of(endpoint.post(changed(good, 6, Date="2015-02-30"))) == (
        422,
        {
            "error": "invalid_value",
            "message": "Record 6: field 'Date' is a JSON string (\"2015-02-30\"); expected an "
            "ISO 8601 date or time string, e.g. 2017-03-20.",
            "field": "Date",
            "row": 6,
        },
    )


def test_lstm_histories_only_the_model_judges_are_422_with_its_reason(endpoints, registered):
    endpoint, good = endpoints[LSTM], example_request(registered, LSTM)
    assert answer_of(endpoint.post(changed(good, 4, Daily_Cycles_Used=-0.2))) == (
        422,
        {
            "error": "invalid_input",
            "message": "battery-cycles-lstm input: column 'Daily_Cycles_Used' expected a "
            "non-negative number; failed at rows [4] (values [-0.2]).",
        },
    )
    assert answer_of(endpoint.post({"dataframe_records": good[2:]})) == (
        422,
        {
            "error": "invalid_input",
            "message": "battery-cycles-lstm input: battery 1 has 5 day(s) of history; the "
            "model needs its last 7 consecutive days.",
        },
    )
    gap = changed(good, 0, Date="2015-02-20")  # the window's first day, three days early
    _, body = answer_of(endpoint.post(gap))
    assert body == {
        "error": "invalid_input",
        "message": "battery-cycles-lstm input: battery 1's last 7 days are not consecutive "
        f"(2015-02-20 to {good[-1]['Date']}); fill the missing days first.",
    }
    # The last forecast day would be past pandas' calendar: refused, not a server error.
    dates = pd.date_range(end="2262-04-10", periods=len(good)).strftime("%Y-%m-%d")
    late = [dict(record, Date=date) for record, date in zip(good, dates, strict=True)]
    status, body = answer_of(endpoint.post({"dataframe_records": late}))
    assert (status, body["error"]) == (422, "invalid_input")
    assert body["message"].startswith(
        "battery-cycles-lstm input: column 'Date' expected a date up to 2262-04-08 (the 3 "
        "forecast day(s) after it must be dates); failed at rows [5, 6]"
    )
