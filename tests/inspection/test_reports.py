"""Model reports open in a browser: sections and inline images render, nothing is fetched.

The car-maintenance report is built from the real file by the pipelines' node functions
(training, fairness, report; no registry needed), written to a file and opened from disk
in Debian's headless Chromium through ChromeDriver. A full-page screenshot is saved as a
test artifact (``$TEST_ARTIFACTS_DIR``, else the test's temporary folder).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mlops_lab.pipelines.maintenance_data import nodes as data_nodes
from mlops_lab.pipelines.maintenance_fairness import nodes as fairness_nodes
from mlops_lab.pipelines.maintenance_training import nodes as training_nodes
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


def test_maintenance_report_renders_its_sections_and_images(
    maintenance_report: Path, tmp_path: Path
):
    from selenium.webdriver.common.by import By

    artifacts = Path(os.environ.get("TEST_ARTIFACTS_DIR") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    driver = _driver()
    try:
        driver.get(maintenance_report.as_uri())
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "section > h2")]
        images = driver.execute_script(
            "return Array.from(document.images).map(i => "
            "[i.complete, i.naturalWidth, i.getBoundingClientRect().width, i.alt]);"
        )
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name);"
        )
        decision = driver.find_element(By.CSS_SELECTOR, "#decision .callout").text
        height = driver.execute_script("return document.body.scrollHeight;")
        driver.set_window_size(1400, min(int(height) + 40, 16000))
        driver.save_screenshot(str(artifacts / "maintenance_report.png"))
    finally:
        driver.quit()
    assert headings == list(SECTIONS)
    assert len(images) == 7  # audit, framings, 3 SHAP plots, group rates, mitigation
    for complete, natural_width, shown_width, alt in images:
        assert complete and natural_width > 300 and shown_width > 300, alt
    assert fetched == []  # self-contained: nothing loaded from the network or disk
    assert decision.startswith("Decision: ")
