"""The Attention tab as clients use it: its api through gradio_client, and a browser screenshot."""
from __future__ import annotations

import json

import pytest

from lib.examples import list_examples
from lib.models.registry import MODELS_DIR

pytestmark = pytest.mark.skipif(not (MODELS_DIR / "stpt-global-tiny-toy" / "model.safetensors").is_file(),
                                reason="STPT weights not trained yet (scripts/train_stpt.py)")


def _long_example():
    return next(ex for ex in list_examples() if ex.name == "toy_long")


def test_attention_through_api(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    out = client.predict(handle_file(str(_long_example().path)), "stpt-tiny-toy", True, "",
                         api_name="/attention")
    text, costs, timeline, stats, picker, query, rollout, side, layer_text = out[:9]
    assert "stpt-tiny-toy** detects" in text and "Ground truth" in text
    rows = {row[0]: row for row in costs["data"]}
    assert float(rows["stpt-global-tiny-toy"][2][:-1]) >= 2.0  # the twin costs at least twice the FLOPs
    assert len(json.loads(stats["plot"])["data"]) == 6
    assert len(json.loads(timeline["plot"])["data"]) >= 10  # ten ground-truth actions at least
    assert all(image is not None for image in (picker, query, rollout, side))
    assert "local" in layer_text


def test_attention_api_refuses_bad_layers(app_url):
    from gradio_client import Client, handle_file

    client = Client(app_url, verbose=False)
    with pytest.raises(Exception) as err:
        client.predict(handle_file(str(_long_example().path)), "stpt-tiny-toy", False, "0, x",
                       api_name="/attention")
    assert "numbers separated by commas" in str(err.value)


@pytest.mark.slow
def test_attention_tab_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    page.goto(app_url)
    page.wait_for_selector("#example-gallery")
    names = [ex.name for ex in list_examples()]
    page.locator("#example-gallery .thumbnail-item").nth(names.index("toy_long")).click()
    page.wait_for_selector("#filmstrip img", state="visible")
    page.get_by_role("tab", name="Attention").click()
    page.get_by_role("button", name="Record attention").click()
    page.wait_for_selector("#attention-compare img", state="visible", timeout=240_000)
    page.get_by_text("detects", exact=False).first.wait_for(state="visible")
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshot_dir / "attention_tab.png"), full_page=True)
    assert page.locator("#attention-query img").count() == 1
