"""The benchmarks' ``--params``: typed like ``kedro run --params``, unknown keys refused."""

import pytest
from benchmarks.runtime_params import base_parameters, runtime_params


def test_parses_nested_and_typed_values_of_real_parameters():
    params = runtime_params(
        "component_simulation.n_texts=32000, component_compliance.training.learning_rate=0.005,"
        "aerosol_simulation.years.last=2006"
    )
    assert params == {
        "component_simulation": {"n_texts": 32000},
        "component_compliance": {"training": {"learning_rate": 0.005}},
        "aerosol_simulation": {"years": {"last": 2006}},
    }


def test_empty_text_is_no_parameters():
    assert runtime_params("") == {}
    assert runtime_params(" , ") == {}


def test_a_misspelt_key_names_the_part_and_what_is_there():
    with pytest.raises(ValueError) as error:
        runtime_params("component_simulation.n_text=32000")
    message = str(error.value)
    assert "'component_simulation.n_text': no 'n_text' under component_simulation" in message
    assert "n_texts" in message  # the keys that are there


def test_an_item_without_a_value_and_an_unknown_top_level_key_are_both_named():
    with pytest.raises(ValueError) as error:
        runtime_params("abc,nowhere.x=1")
    message = str(error.value)
    assert "'abc': expected key=value" in message
    assert "'nowhere.x': no 'nowhere' under the top level" in message


def test_a_key_below_a_value_is_refused():
    with pytest.raises(ValueError, match=r"no 'deeper' under component_simulation\.n_texts"):
        runtime_params("component_simulation.n_texts.deeper=1")


def test_base_parameters_hold_every_pipeline_file():
    known = base_parameters()
    assert {"component_simulation", "particle_classification", "battery_forecasting"} <= set(known)
    assert known["component_simulation"]["n_texts"] > 0
