"""``maintenance_training`` + ``maintenance_fairness`` in Kedro sessions on the real file.

One project copy for the module: ``maintenance_data`` runs once, then the tests train,
gate and assess in it, in order (first run promotes, a worse framing does not).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow import MlflowClient
from tests.conftest import copy_project
from tests.kedro_helpers import latest_version

from mlops_lab.maintenance.leakage import LeakageError
from mlops_lab.registry import load_registered_model

pytestmark = pytest.mark.slow
MODEL_NAME = "car-maintenance"
EXPERIMENT = "Car-Maintenance-Responsible-AI"
REPORTING = Path("data/08_reporting/maintenance")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = copy_project(tmp_path_factory.mktemp("maintenance") / "project")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.delenv("MLFLOW_TRACKING_URI", raising=False)
        bootstrap_project(root)
        with KedroSession.create(project_path=root, env="test") as session:
            session.run(pipeline_names=["maintenance_data"])
        yield root


def _run(project: Path, pipelines: list[str], params: dict | None = None) -> None:
    with KedroSession.create(project_path=project, env="test", runtime_params=params) as session:
        session.run(pipeline_names=pipelines)


def _tracking(project: Path) -> None:
    uri = f"sqlite:///{project / 'mlruns.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)


def _json(project: Path, name: str) -> dict:
    return json.loads(latest_version(project / REPORTING / name).read_text())


def test_first_training_promotes_and_fairness_reports_on_it(project: Path):
    _run(project, ["maintenance_training", "maintenance_fairness"])
    promotion = _json(project, "promotion.json")
    assert promotion["promoted"] is True
    assert promotion["reason"] == "no champion yet: the challenger becomes it"
    # The gate's score is the test PR-AUC of the evaluation node, through the pyfunc.
    comparison = pd.read_csv(latest_version(project / REPORTING / "framing_comparison.csv"))
    selected = comparison[comparison["selected"] & (comparison["metric"] == "pr_auc")]
    registered = selected.set_index("framing").loc["at_visit_without_odometer"]
    assert promotion["challenger"]["score"] == pytest.approx(registered["value"])
    assert registered["low"] > registered["prevalence"]  # real signal at a visit
    # The leak was refused by default: no framing uses the odometer.
    audit = pd.read_csv(
        latest_version(project / "data/05_model_input/maintenance/leakage_audit.csv")
    )
    leak = audit.set_index("feature").loc["car_miles"]
    assert (leak["verdict"], leak["rule"]) == ("definitional_leak", "car_miles <= 9999")
    card = _json(project, "model_card.json")
    assert card["signal"]["usable_signal"] is True
    assert "car_miles" not in card["framing"]["features"]
    assert set(card["signal_by_framing"]) == {"at_purchase", "at_visit_without_odometer"}

    _tracking(project)
    champion = load_registered_model(MODEL_NAME, "champion")
    assert champion.version == "1"
    raw = pd.read_csv(project / "data/01_raw/maintenance/car-maintenance-data.csv", nrows=5)
    predicted = champion.predict(raw)  # raw records, gender and names included
    assert list(predicted.columns) == ["probability", "label"] and len(predicted) == 5
    (run,) = MlflowClient().search_runs(
        [MlflowClient().get_experiment_by_name(EXPERIMENT).experiment_id]
    )
    assert run.info.run_id == champion.run_id
    assert run.data.metrics["maintenance.fairness.proxy.roc_auc"] < 0.6
    artifacts = {a.path for a in MlflowClient().list_artifacts(run.info.run_id, "reports")}
    assert artifacts == {"reports/car-maintenance-report.html"}

    decision = _json(project, "fairness_decision.json")
    assert decision["decision"].startswith(("keep", "mitigate"))
    assert len(decision["reasons"]) >= 2
    html = latest_version(project / REPORTING / "report.html").read_text()
    for section in (
        "Model card",
        "Leakage audit",
        "Prediction-time framings",
        "Explanations",
        "Fairness",
        "Mitigation",
        "Decision",
        "Proxy check",
    ):
        assert f"<h2>{section}</h2>" in html
    assert html.count("data:image/png;base64,") == 7  # audit, framings, 3 SHAP, groups, mitigation
    assert "http://" not in html and "https://" not in html


def test_a_worse_framing_registers_a_challenger_that_is_not_promoted(project: Path):
    worse = {"maintenance_training": {"model_card": {"framing": "at_purchase"}}}
    _run(project, ["maintenance_training"], worse)
    promotion = _json(project, "promotion.json")
    assert promotion["promoted"] is False
    assert promotion["challenger"]["version"] == "2"
    assert promotion["challenger"]["score"] < promotion["champion"]["score"]
    assert "worse than champion v1" in promotion["reason"]
    _tracking(project)
    assert str(MlflowClient().get_model_version_by_alias(MODEL_NAME, "champion").version) == "1"


def test_training_on_the_odometer_is_refused_naming_feature_and_rule(project: Path):
    odometer = {
        "maintenance_training": {
            "framings": {"with_odometer": {"when": "after the visit", "features": ["car_miles"]}}
        }
    }
    with pytest.raises(LeakageError, match=r"'car_miles' \(rule: car_miles <= 9999"):
        _run(project, ["maintenance_training"], odometer)
