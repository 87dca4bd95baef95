"""Model reports open in a browser: sections and inline images render, nothing is fetched.

Each report is built by the pipelines' node functions (no registry needed): the
car-maintenance one from the real file, the battery-cycles one from small synthetic
series, the aerosol-event-classifier one from tiny day tensors and a CNN trained on them.
It is written to a file and opened from disk in Debian's headless Chromium through
ChromeDriver. A full-page screenshot is saved as a test artifact
(``$TEST_ARTIFACTS_DIR``, else the test's temporary folder).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from tests.battery.synthetic import make_series
from tests.pipelines.particle_classification.conftest import tiny_model_input

from mlops_lab.battery.splitting import split_last_days
from mlops_lab.pipelines.battery_deep_forecasting import nodes as lstm_nodes
from mlops_lab.pipelines.battery_forecasting import nodes as battery_nodes
from mlops_lab.pipelines.maintenance_data import nodes as data_nodes
from mlops_lab.pipelines.maintenance_fairness import nodes as fairness_nodes
from mlops_lab.pipelines.maintenance_training import nodes as training_nodes
from mlops_lab.pipelines.particle_classification import nodes as aerosol_nodes
from mlops_lab.registry import RegisteredModel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SECTIONS = (
    "Model card",
    "Leakage audit",
    "Prediction-time framings",
    "Explanations",
    "Fairness",
    "Mitigation",
    "Decision",
    "Proxy check",
)


def _parameters(name: str) -> dict:
    return yaml.safe_load((ROOT / f"conf/test/parameters_{name}.yml").read_text())[name]


@pytest.fixture(scope="module")
def maintenance_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of a model trained on the real file, by the pipelines' own nodes."""
    training, fairness = _parameters("maintenance_training"), _parameters("maintenance_fairness")
    raw = pd.read_csv(ROOT / "data/01_raw/maintenance/car-maintenance-data.csv")
    visits = data_nodes.parse_maintenance_visits(raw)
    features, sensitive = data_nodes.derive_maintenance_features(visits, 30)
    splits = data_nodes.split_maintenance_data(features, sensitive, 0.2, 42)
    train, test = splits["train"], splits["test"]
    audit = training_nodes.audit_feature_leakage(train, training["leakage"])
    framings = training_nodes.select_framings(audit, training["framings"], {})
    fit, validation = training_nodes.carve_validation_split(train, 0.25, 42)
    models = training_nodes.fit_candidates(fit, framings, training["candidates"], 42)
    selection = training_nodes.choose_thresholds(models, validation)
    comparison, _ = training_nodes.evaluate_candidates(
        models, selection, test, training["bootstrap"]
    )
    python_model = training_nodes.package_maintenance_model(
        models, selection, framings, raw, test, training["model_card"], 30
    )
    card = training_nodes.write_model_card(
        selection, comparison, framings, audit, training["model_card"]
    )
    model = RegisteredModel("car-maintenance", "1", None, ("challenger",), python_model)
    groups, evidence = fairness["groups"], fairness["evidence"]
    group_metrics, disparity = fairness_nodes.assess_model_fairness(
        model, test, splits["sensitive_test"], groups, fairness["age_band_edges"], evidence
    )
    variants = fairness_nodes.mitigate_model_disparity(
        model,
        fit,
        validation,
        test,
        splits["sensitive_train"],
        splits["sensitive_test"],
        groups,
        fairness["mitigation"],
        evidence,
    )
    decision = fairness_nodes.decide_mitigation(variants, fairness["decision_rule"], groups)
    proxy = fairness_nodes.check_sensitive_proxies(
        model, fit, test, splits["sensitive_train"], splits["sensitive_test"], groups, evidence
    )
    promotion = {"challenger": {"version": "1"}, "reason": "no champion yet"}
    shap_values = fairness_nodes.explain_model_predictions(model, test, fairness["explanations"])
    html, _ = fairness_nodes.build_maintenance_report(
        card,
        audit,
        comparison,
        group_metrics,
        disparity,
        variants,
        decision,
        proxy,
        promotion,
        shap_values,
    )
    path = tmp_path_factory.mktemp("reports") / "car-maintenance-report.html"
    path.write_text(html)
    return path


@pytest.fixture(scope="module")
def battery_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The battery-cycles report of a regression model chosen by the test search."""
    params = _parameters("battery_forecasting")
    series = make_series({0: 400, 1: 380}).assign(Number_Of_Trips=5.0, Is_Interpolated=False)
    history, holdout = battery_nodes.split_holdout(series, params["horizon"])
    search = battery_nodes.search_forecasters(
        history,
        params["candidates"],
        params["horizon"],
        params["validation"],
        params["search"],
        params["seed"],
    )
    ensemble = battery_nodes.add_ensemble(
        search["leaderboard"],
        search["forecasts"],
        history,
        params["horizon"],
        params["validation"],
        params["ensemble"],
    )
    board = ensemble["leaderboard"]
    regression = board["kind"] == "regression"
    board = pd.concat([board[regression], board[~regression]])  # select a model SHAP explains
    evaluation = battery_nodes.evaluate_on_holdout(board, history, holdout, [0])
    model = battery_nodes.train_final_model(
        board, ensemble["best_forecasts"], series, params["example_rows"]
    )
    n_local = params["explanations"]["n_local"]
    explained = battery_nodes.explain_model(
        RegisteredModel("battery-cycles", "1", None, ("challenger",), model),
        params["horizon"],
        n_local,
    )
    promotion = {"model_name": "battery-cycles", "challenger": {"version": "1"}, "reason": "first"}
    html, _ = battery_nodes.build_battery_report(
        evaluation["report"],
        evaluation["forecasts"],
        history,
        promotion,
        explained["shap_values"],
        [0],
        params["report"],
        n_local,
    )
    path = tmp_path_factory.mktemp("reports") / "battery-cycles-report.html"
    path.write_text(html)
    return path


@pytest.fixture(scope="module")
def battery_lstm_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The battery-cycles-lstm report of the test configuration's tiny LSTM."""
    params = _parameters("battery_deep_forecasting")
    history, holdout = split_last_days(make_series({0: 200, 1: 190}), params["horizon"])
    model, _ = lstm_nodes.train_battery_lstm(
        history,
        params["horizon"],
        params["windows"],
        params["network"],
        params["training"],
        params["seed"],
    )
    registered = RegisteredModel("battery-cycles-lstm", "1", None, ("challenger",), model)
    evaluated = lstm_nodes.evaluate_battery_lstm(registered, history, holdout)
    block_days = params["explanations"]["block_days"]
    attribution, _ = lstm_nodes.explain_battery_lstm(registered, history, block_days)
    promotion = {"model_name": "battery-cycles-lstm", "challenger": {"version": "1"}}
    html, _ = lstm_nodes.build_battery_lstm_report(
        evaluated["report"],
        evaluated["forecasts"],
        history,
        promotion,
        attribution,
        params["report"],
        block_days,
    )
    path = tmp_path_factory.mktemp("reports") / "battery-cycles-lstm-report.html"
    path.write_text(html)
    return path


@pytest.fixture(scope="module")
def aerosol_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The aerosol-event-classifier report of a small CNN trained on tiny day tensors."""
    params = _parameters("particle_classification")
    model_input, scheme, seed = tiny_model_input(120), params["label_scheme"], params["seed"]
    split = aerosol_nodes.split_days(model_input, scheme, params["split"])
    trained = aerosol_nodes.train_cnn(model_input, split, scheme, params["cnn"], seed)
    baselines = aerosol_nodes.train_baselines(model_input, split, scheme, params["baselines"], seed)
    evaluation = aerosol_nodes.evaluate_classifiers(
        model_input, split, scheme, trained["model"], trained["history"], baselines
    )
    attributions = aerosol_nodes.explain_cnn_days(
        trained["model"],
        model_input,
        split,
        scheme,
        evaluation["predictions"],
        params["explanations"],
    )
    promotion = {"model_name": "aerosol-event-classifier", "challenger": {"version": "1"}}
    html, _ = aerosol_nodes.build_aerosol_report(
        evaluation["leaderboard"],
        evaluation["predictions"],
        aerosol_nodes.describe_training_inputs(model_input, split),
        promotion,
        attributions,
        params["report"],
        params["explanations"]["top_regions"],
    )
    path = tmp_path_factory.mktemp("reports") / "aerosol-event-classifier-report.html"
    path.write_text(html)
    return path


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.fail("chromium/chromedriver missing: run `make install` (Debian packages).")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _open(report: Path, screenshot: Path) -> dict:
    """Open the report from disk: section headings, images, network requests, callouts."""
    from selenium.webdriver.common.by import By

    screenshot.parent.mkdir(parents=True, exist_ok=True)
    driver = _driver()
    try:
        driver.get(report.as_uri())
        page = {
            "headings": [h.text for h in driver.find_elements(By.CSS_SELECTOR, "section > h2")],
            "images": driver.execute_script(
                "return Array.from(document.images).map(i => "
                "[i.complete, i.naturalWidth, i.getBoundingClientRect().width, i.alt]);"
            ),
            "fetched": driver.execute_script(
                "return performance.getEntriesByType('resource').map(e => e.name);"
            ),
            "callouts": {
                section.get_attribute("id"): [
                    c.text for c in section.find_elements(By.CSS_SELECTOR, ".callout")
                ]
                for section in driver.find_elements(By.CSS_SELECTOR, "section")
            },
        }
        height = driver.execute_script("return document.body.scrollHeight;")
        driver.set_window_size(1400, min(int(height) + 40, 16000))
        driver.save_screenshot(str(screenshot))
    finally:
        driver.quit()
    for complete, natural_width, shown_width, alt in page["images"]:
        assert complete and natural_width > 300 and shown_width > 300, alt
    assert page["fetched"] == []  # self-contained: nothing loaded from the network or disk
    return page


def _artifacts(tmp_path: Path) -> Path:
    return Path(os.environ.get("TEST_ARTIFACTS_DIR") or tmp_path)


def test_maintenance_report_renders_its_sections_and_images(
    maintenance_report: Path, tmp_path: Path
):
    page = _open(maintenance_report, _artifacts(tmp_path) / "maintenance_report.png")
    assert page["headings"] == list(SECTIONS)
    assert len(page["images"]) == 7  # audit, framings, 3 SHAP plots, group rates, mitigation
    assert page["callouts"]["decision"][0].startswith("Decision: ")


def test_battery_report_renders_its_card_and_shap_plots(battery_report: Path, tmp_path: Path):
    page = _open(battery_report, _artifacts(tmp_path) / "battery_cycles_report.png")
    assert page["headings"] == ["Model card", "Explanations"]
    alts = [alt for *_, alt in page["images"]]
    n_local = _parameters("battery_forecasting")["explanations"]["n_local"]
    assert alts[:2] == [
        "Global importance: mean |SHAP value| per feature",
        "SHAP value of each feature for each explained forecast",
    ]
    assert len(alts) == 2 + n_local and all(a.startswith("Battery ") for a in alts[2:])
    assert page["callouts"]["explanations"] == []  # explained, no fallback notice


def test_battery_lstm_report_renders_its_card_and_window_attribution(
    battery_lstm_report: Path, tmp_path: Path
):
    page = _open(battery_lstm_report, _artifacts(tmp_path) / "battery_cycles_lstm_report.png")
    assert page["headings"] == ["Model card", "Explanations"]
    assert [alt for *_, alt in page["images"]] == [
        "Where in its input window the LSTM's forecast comes from"
    ]


def test_aerosol_report_renders_its_card_and_one_occlusion_figure_per_class(
    aerosol_report: Path, tmp_path: Path
):
    page = _open(aerosol_report, _artifacts(tmp_path) / "aerosol_event_classifier_report.png")
    assert page["headings"] == ["Model card", "Explanations"]
    alts = [alt for *_, alt in page["images"]]
    assert alts == [
        "CNN confusion matrix on the test days: counts and row-normalised",
        *(
            f"True class {c}: what the CNN based its class on"
            for c in ("event", "undefined", "nonevent")
        ),
    ]
    data = page["callouts"]["model-card"][0]  # what the pixels are comes from the data
    assert "synthetic test tensors" in data and "real SMEAR II" in data
