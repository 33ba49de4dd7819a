"""Shared test set-up: a throwaway HOME, offline hub, the app served once, a headless browser."""
from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
OUTPUT_DIR = REPO_ROOT / "test-output"

# Matplotlib, Chromium and Jupyter write under $HOME; keep the user's home clean. Hub access stays
# offline so no test can hang on the network.
_home = tempfile.mkdtemp(prefix="explorer-test-home-")
os.environ["HOME"] = _home
os.environ["MPLCONFIGDIR"] = os.path.join(_home, "mpl")
os.environ["JUPYTER_CONFIG_DIR"] = os.path.join(_home, "jupyter")
os.environ["JUPYTER_DATA_DIR"] = os.path.join(_home, "jupyter-data")
os.environ["JUPYTER_RUNTIME_DIR"] = os.path.join(_home, "jupyter-runtime")
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ.setdefault("OMP_NUM_THREADS", "2")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url():
    """The whole app served on 127.0.0.1 for the test session; yields its URL."""
    import app

    queue_options, launch_options = app.serve_options()  # as `python app.py` serves it
    app.demo.queue(**queue_options)
    _, url, _ = app.demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                                quiet=True, **launch_options)
    yield url.rstrip("/") + "/"
    app.demo.close()


@pytest.fixture(scope="session")
def api_client(app_url):
    """One gradio_client Client of the served app for every API test (see tests/api_steps.py)."""
    from gradio_client import Client

    return Client(app_url, verbose=False)


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = OUTPUT_DIR / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def _browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM}; .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); browser tests skipped")
    playwright_api = pytest.importorskip("playwright.sync_api")
    user_dir = tempfile.mkdtemp(prefix="explorer-chromium-")
    with playwright_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_dir, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        yield context
        context.close()
    shutil.rmtree(user_dir, ignore_errors=True)


@pytest.fixture
def browser_page(_browser):
    """A fresh page in the shared headless Chromium; closed after the test."""
    page = _browser.new_page()
    page.set_default_timeout(60_000)
    yield page
    page.close()
