"""The Attention tab as clients use it: its api through gradio_client, and a browser screenshot."""
from __future__ import annotations

import json

import pytest
from api_steps import clip, refusal
from browser_steps import open_with_example


def test_attention_through_api(api_client):
    out = api_client.predict(clip("toy_long"), "stpt-tiny-toy", True, "", api_name="/attention")
    text, costs, timeline, stats, picker, query, rollout, side, layer_text = out[:9]
    assert "stpt-tiny-toy** detects" in text and "Ground truth" in text
    rows = {row[0]: row for row in costs["data"]}
    assert float(rows["stpt-global-tiny-toy"][2][:-1]) >= 2.0  # the twin costs at least twice the FLOPs
    assert len(json.loads(stats["plot"])["data"]) == 6
    assert len(json.loads(timeline["plot"])["data"]) >= 10  # ten ground-truth actions at least
    assert all(image is not None for image in (picker, query, rollout, side))
    assert "local" in layer_text


def test_attention_api_refuses_bad_layers(api_client):
    assert "numbers separated by commas" in refusal(api_client, "/attention", clip("toy_long"), "stpt-tiny-toy", False,
                                                    "0, x")


@pytest.mark.slow
def test_attention_tab_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    open_with_example(page, app_url, "toy_long", tab="Attention")
    page.get_by_role("button", name="Record attention").click()
    page.wait_for_selector("#attention-compare img", state="visible", timeout=240_000)
    page.get_by_text("detects", exact=False).first.wait_for(state="visible")
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshot_dir / "attention_tab.png"), full_page=True)
    assert page.locator("#attention-query img").count() == 1
