"""In the browser: a long action stops on Stop (its work ends, not only its display) and the next run works;
each tab's Download gives a zip whose manifest names the tab and the clip on screen (tests/browser_steps.py)."""
from __future__ import annotations

import io
import time
import zipfile

import pytest
from browser_steps import example, open_with_example

pytestmark = pytest.mark.slow


def _slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type='number']")
    box.fill(str(value))
    box.press("Enter")


def test_cost_curves_stop_then_run_again(app_url, browser_page, screenshot_dir):
    from demos.stop import WATCHER

    page = browser_page
    open_with_example(page, app_url, tab="Long range")
    stopped = WATCHER.stopped
    page.locator("#longrange-costs-run").click()  # defaults: 6 lengths up to 8192, with backward: many seconds
    page.wait_for_timeout(2500)
    page.locator("#longrange-costs-stop").click()
    deadline = time.monotonic() + 30
    while WATCHER.stopped == stopped and time.monotonic() < deadline:
        time.sleep(0.2)
    assert WATCHER.stopped == stopped + 1, "Stop did not end the cost-curve measurement"
    while WATCHER._runs and time.monotonic() < deadline:  # the handler's thread has unwound
        time.sleep(0.2)
    assert not WATCHER._runs
    page.screenshot(path=str(screenshot_dir / "stop_long_range_stopped.png"), full_page=True)
    page.locator("#longrange-costs-run").click()  # the next run works (nothing left blocking the queue)
    page.get_by_text("S4", exact=False).last.wait_for(timeout=180_000)
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0", timeout=180_000)
    page.screenshot(path=str(screenshot_dir / "stop_long_range_after.png"), full_page=True)


# (tab title, run button, download button, bundle, something the main action fills)
TABS = [
    ("Tubes", "tubes", "button:has-text('Tokenise the clip and run the model')", "#tubes-download", "#tubes-bundle",
     "#tubes-summary p"),
    ("Attention", "attention", "#attention-run", "#attention-download", "#attention-bundle", "#attention-summary p"),
    ("Token merging", "token_merging", "#merge-run", "#merge-download", "#merge-bundle",
     "#merge-timeline .js-plotly-plot"),
    ("Mask propagation", "mask_propagation", "#mp-run", "#mp-export", "#mp-bundle", "#mp-strip img"),
    ("Long range", "long_range", "#longrange-run", "#longrange-download", "#longrange-bundle", "#longrange-strip img"),
    ("Compare", "compare", "#compare-run", "#compare-download", "#compare-bundle", "#compare-a img"),
]


@pytest.mark.parametrize("title, key, run, download, bundle, filled", TABS, ids=[t[1] for t in TABS])
def test_each_tab_downloads_a_zip(app_url, browser_page, screenshot_dir, title, key, run, download, bundle, filled):
    from lib.examples import content_digest

    page = browser_page
    open_with_example(page, app_url, "toy_left", title)
    if key == "token_merging":
        _slider(page, "merge-frames", 20)
    if key == "long_range":
        page.get_by_label("chosen video").check()
    page.locator(run).first.click()
    page.wait_for_selector(filled, state="visible", timeout=240_000)
    page.locator(download).click()
    link = page.locator(f"{bundle} a").first
    link.wait_for(timeout=120_000)
    data = page.request.get(link.get_attribute("href")).body()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        import json

        manifest = json.loads(zf.read("manifest.json"))
        assert manifest["tab"] == key and set(manifest["files"]) == set(zf.namelist())
    assert manifest["clip"]["sha256"] == content_digest(example("toy_left").path)
    page.screenshot(path=str(screenshot_dir / f"download_{key}.png"), full_page=True)
