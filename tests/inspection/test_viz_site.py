"""kedro-viz: the static site built by `kedro viz build` renders the pipelines in a browser.

The built site is served on loopback (a file:// page fails on CORS) and opened in Debian's
headless Chromium through ChromeDriver (installed by `make install`; no browser download).
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def viz_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the kedro-viz static site for a fresh copy of the project."""
    from tests.conftest import copy_project

    project = copy_project(tmp_path_factory.mktemp("viz") / "project")
    kedro = Path(sys.executable).with_name("kedro")
    result = subprocess.run(
        [str(kedro), "viz", "build", "--include-hooks"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=600,
        env={"KEDRO_DISABLE_TELEMETRY": "true", "PATH": str(kedro.parent) + ":/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    site = project / "build"
    assert (site / "index.html").is_file()
    return site


@pytest.fixture
def served(viz_site: Path):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(viz_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _pipeline_json(viz_site: Path) -> dict:
    return json.loads((viz_site / "api" / "main").read_text())


def test_built_site_lists_every_pipeline_with_layers(viz_site: Path, registered_pipelines):
    data = _pipeline_json(viz_site)
    shown = {p["id"] for p in data["pipelines"]}
    registered = {name for name, pipe in registered_pipelines.items() if pipe.nodes}
    assert len(registered) >= 8
    assert registered <= shown, registered - shown
    for layer in ("raw", "primary", "model_input"):
        assert layer in data["layers"]


def test_nodes_render_in_headless_chromium(viz_site: Path, served: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    if not Path(CHROMIUM).exists() or not Path(CHROMEDRIVER).exists():
        pytest.fail("chromium/chromedriver missing: run `make install` (Debian packages).")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1600,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(served)
        WebDriverWait(driver, 90).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, ".pipeline-node"))
        )
        rendered = {
            element.text.strip()
            for element in driver.find_elements(By.CSS_SELECTOR, ".pipeline-node__text")
        }
        expected_nodes = {
            node["name"]
            for node in _pipeline_json(viz_site)["nodes"]
            if node["type"] == "task" and "__default__" in node["pipelines"]
        }
        driver.save_screenshot(str(viz_site.parent / "viz.png"))
    finally:
        driver.quit()
    assert len(rendered) >= 5
    # kedro-viz shows pretty names ("Clean Dmps") or raw names depending on settings.
    pretty = {name.replace("_", " ").title() for name in expected_nodes} | expected_nodes
    assert rendered & pretty, f"no pipeline node rendered; saw {sorted(rendered)[:10]}"
