"""The Token merging tab as clients use it: its api through gradio_client, and a browser screenshot."""
from __future__ import annotations

import json

import pytest
from api_steps import clip, refusal
from browser_steps import open_with_example


def test_merge_through_api(api_client):
    out = api_client.predict(clip("toy_long"), "frame-vit-toy", 20, 4, 10, 3, "pseudo_heads", api_name="/merge")
    summary, timeline, sources, groups, steps, budget, table = out[:7]
    assert "2,880 patch tokens -> 43 tokens" in summary
    figure = json.loads(timeline["plot"])
    assert len(figure["data"]) == 2  # merged tokens + global tokens
    rows = {row[0]: row[1] for row in table["data"]}
    assert rows["LongVLM"] == 43 and rows["raw tokens"] == 2880
    assert sources is not None and groups is not None


def test_more_segments_than_frames_through_api(api_client):
    sentence = refusal(api_client, "/merge", clip("toy_long"), "frame-vit-toy", 5, 8, 10, 3, "pseudo_heads")
    assert "More segments (8) than frames (5)" in sentence


@pytest.mark.slow
def test_timeline_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    open_with_example(page, app_url, "toy_long", tab="Token merging")
    page.get_by_role("button", name="Merge tokens").click()
    page.wait_for_selector("#merge-timeline .js-plotly-plot", timeout=240_000)
    page.get_by_text("patch tokens ->", exact=False).first.wait_for(state="visible")
    page.wait_for_timeout(800)
    page.screenshot(path=str(screenshot_dir / "token_merging_timeline.png"), full_page=True)
    assert page.locator("#merge-timeline .js-plotly-plot .bars path").count() >= 300


def test_tome_encoder_through_api(api_client):
    summary, picture = api_client.predict(clip("toy_long"), 12, api_name="/tome_encoder")
    assert "ToMe r=12 per block" in summary and "145 -> 133" in summary
    assert picture is not None
    assert "Real video" not in summary  # a toy example: the toy encoder's classes are its own world's


def test_tome_encoder_on_a_real_clip_says_its_classes_are_toy_ones(api_client):
    summary, _ = api_client.predict(clip("photo_pan"), 12, api_name="/tome_encoder")
    first, rest = summary.split("\n\n", 1)
    assert first.startswith("**Real video, toy model:**") and "only whether merging changes them" in first
    assert rest.startswith("**ToMe r=12 per block**")
