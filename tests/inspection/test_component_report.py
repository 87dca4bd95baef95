"""The component-compliance report opens in a browser: sections, images, highlighted words.

Built by the pipeline's own nodes from a small trained network and TF-IDF baseline on
generated notes (no registry needed), written to a file and opened from disk in Debian's
headless Chromium through ChromeDriver. A full-page screenshot is saved as a test
artifact (``$TEST_ARTIFACTS_DIR``, else the test's temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from tests.components.small_model import generated_texts, trained_network
from tests.inspection.test_reports import _driver

from mlops_lab.components.report import SECTIONS
from mlops_lab.pipelines.component_compliance import nodes
from mlops_lab.promotion import decide_promotion
from mlops_lab.registry import RegisteredModel

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CALIBRATION = {"bins": 10, "recall_floor": 0.99, "max_threshold": 0.5}
BOOTSTRAP = {"resamples": 100, "level": 0.95, "seed": 0}
EVALUATION = {"late_fact_token": 15, "length_bands": [15, 25, 40], "bootstrap": BOOTSTRAP}
BASELINE = {"ngram_range": [2, 4], "max_features": 20000, "C": 10.0}
GATE = {"metric": "components.test.accuracy", "greater_is_better": True, "min_improvement": 0.0}
RAW = Path(__file__).resolve().parents[2] / "data/01_raw/components"
INDEPENDENT_NOTES = RAW / "independent_notes.csv"
SEALED_NOTES = RAW / "sealed_notes.csv"
SEALED_NOTES_2 = RAW / "sealed_notes_2.csv"
# A note whose words must arrive escaped, never as markup.
MARKUP_NOTE = "<b>bold</b> steel bracket made in 2011 in good condition"


@pytest.fixture(scope="module")
def component_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    keras_model, _, spec = trained_network()
    train, validation = generated_texts(2000, seed=11), generated_texts(400, seed=12)
    test = generated_texts(300, seed=13)
    calibration, _, _ = nodes.calibrate_compliance_model(keras_model, validation, CALIBRATION)
    network, card = nodes.package_compliance_model(
        keras_model, calibration, ["Iron part, 1999"], 500
    )
    tfidf = nodes.fit_tfidf_classifier(train, spec, BASELINE, 0)
    tfidf_calibration, _ = nodes.calibrate_tfidf_classifier(tfidf, validation, spec, CALIBRATION)
    baseline = nodes.package_tfidf_model(tfidf, tfidf_calibration, spec, ["Iron part"], 500)
    ranked = nodes.rank_compliance_candidates(network, baseline, test, BOOTSTRAP)
    ranking = ranked["ranking"]
    best = {m.kind: m for m in (network, baseline)}[ranking["best"]]
    runner_up = {m.kind: m for m in (network, baseline)}[ranking["runner_up"]]
    registered = RegisteredModel("component-compliance", "2", None, ("challenger",), best)
    _, registration = nodes.register_compliance_challenger(
        network,
        baseline,
        ranking,
        RegisteredModel("component-compliance", "1", None, (), runner_up),
    )
    predictions = nodes.predict_test_texts(registered, test)
    analysis = nodes.analyse_classification_errors(predictions, EVALUATION)
    # Every test note right but the markup note, so the sample (mistakes first) takes it.
    candidates = pd.concat(
        [
            ranked["predictions"].pipe(lambda frame: frame.assign(predicted=frame["label"])),
            pd.DataFrame({"text": [MARKUP_NOTE], "label": [0], "predicted": [1]}).assign(
                model="char_bilstm"
            ),
        ],
        ignore_index=True,
    )
    attributions = nodes.attribute_note_tokens(
        network, baseline, candidates, {"per_class": 3, "seed": 0}
    )
    independent = nodes.score_independent_notes(
        network,
        baseline,
        pd.read_csv(INDEPENDENT_NOTES, keep_default_na=False),
        pd.read_csv(SEALED_NOTES, keep_default_na=False),
        pd.read_csv(SEALED_NOTES_2, keep_default_na=False),
        BOOTSTRAP,
    )
    scores = nodes.score_promotion_candidates(registered, None, predictions, test)
    _, promotion = decide_promotion(registered, None, scores, GATE)
    page, copy = nodes.build_compliance_report(
        card,
        {"rows_train": 2000, "families_train": 40, "rows_test": 300},
        calibration,
        tfidf_calibration,
        ranked["leaderboard"],
        independent["scores"],
        analysis["slices"],
        analysis["metrics"],
        attributions,
        analysis["misclassified"],
        registration,
        promotion,
    )
    assert page == copy
    path = tmp_path_factory.mktemp("reports") / "component-compliance-report.html"
    path.write_text(page)
    return path


def test_component_report_renders_its_sections_images_and_highlighted_words(
    component_report: Path, tmp_path: Path
):
    from selenium.webdriver.common.by import By

    artifacts = Path(os.environ.get("TEST_ARTIFACTS_DIR") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    driver = _driver()
    try:
        driver.get(component_report.as_uri())
        headings = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "section > h2")]
        images = driver.execute_script(
            "return Array.from(document.images).map(i => "
            "[i.complete, i.naturalWidth, i.getBoundingClientRect().width, i.alt]);"
        )
        fetched = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name);"
        )
        notes = driver.find_elements(By.CSS_SELECTOR, "#token-attributions p.highlighted")
        words = driver.find_elements(By.CSS_SELECTOR, "#token-attributions p.highlighted span")
        colours = [w.value_of_css_property("background-color") for w in words]
        injected = driver.find_elements(By.CSS_SELECTOR, "#token-attributions b")
        texts = [n.text for n in notes]
        board = driver.find_element(By.CSS_SELECTOR, "#leaderboard table").text
        hand_written = driver.find_element(By.CSS_SELECTOR, "#hand-written-notes").text
        note_sets = [
            h.text for h in driver.find_elements(By.CSS_SELECTOR, "#hand-written-notes h3")
        ]
        note_tables = [
            c.text for c in driver.find_elements(By.CSS_SELECTOR, "#hand-written-notes caption")
        ]
        height = driver.execute_script("return document.body.scrollHeight;")
        driver.set_window_size(1400, min(int(height) + 40, 16000))
        driver.save_screenshot(str(artifacts / "component_compliance_report.png"))
    finally:
        driver.quit()
    assert headings == list(SECTIONS)
    assert len(images) == 2  # reliability diagrams of both candidates
    for complete, natural_width, shown_width, alt in images:
        assert complete and natural_width > 300 and shown_width > 300, alt
    assert fetched == []  # self-contained
    assert len(notes) == 2 * 6  # 3 notes per class (the markup note one of them), both models
    assert any(c.startswith("rgba(214, 39, 40") for c in colours), "nothing shaded red"
    assert not injected and any(text.startswith("<b>bold</b>") for text in texts)
    for model in ("char_bilstm", "tfidf_logreg", "rule_reader"):
        assert model in board
    assert "[" in board  # intervals
    assert "No choice of the pipeline uses these figures" in hand_written
    # Every set, each with what it is, its gap table, all notes and per kind.
    assert note_sets == ["Development notes", "Sealed notes", "Second sealed notes"]
    assert note_tables == [
        f"{name} notes: {what}"
        for name in ("Development", "Sealed", "Second sealed")
        for what in ("simulated held-out against hand-written", "all notes", "per kind of note")
    ]
    assert "read while the simulator was widened" in hand_written
    assert "optimistic" in hand_written and "never used for a choice" in hand_written
    assert all(f"{n} notes." in hand_written for n in (329, 400, 300))
    assert "saw nothing of the project" in hand_written
    for model in ("char_bilstm", "tfidf_logreg", "rule_reader"):
        assert hand_written.count(f"{model}: accuracy") == 3
    assert "accuracy gap" in hand_written and "negation" in hand_written
    assert "shorthand" in hand_written  # a kind of the sealed set only
