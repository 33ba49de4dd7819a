"""The Compare tab as users and scripts reach it: the `compare` API through gradio_client, bad input, the browser."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from api_steps import clip, refusal
from browser_steps import open_with_example


def test_compare_api_runs_both_tube_models(api_client):
    state_free = api_client.predict(clip("toy_left"), "tubes", "tubevit-tiny-toy", 0, "vivit-dense-tiny-toy", 0,
                                    api_name="/compare")
    summary, image_a, image_b, frame, caption, table = state_free
    assert "TubeViT-tiny vs its dense twin" in summary and "toy_left.mp4" in summary
    assert image_a["label"].startswith("A: TubeViT-tiny") and Path(image_a["value"]).exists()
    assert image_b["label"].startswith("B: dense twin") and Path(image_b["value"]).exists()
    assert frame["maximum"] == 31 and frame["value"] == 16
    assert caption.startswith("Frame 16 of the 32")
    rows = {row[0]: row[1:] for row in table["data"]}
    assert rows["tokens"] == ["99", "576"] and rows["true action (toy example)"] == ["left", "left"]
    exported = api_client.predict(api_name="/compare_download")  # the zip of both sides; numbers in its manifest
    data = json.loads(zipfile.ZipFile(exported).read("manifest.json"))["numbers"]
    assert data["A"]["numbers"]["tokens"] == 99 and data["B"]["numbers"]["tokens"] == 576


@pytest.mark.parametrize("args, words", [
    (("mask-propagation", "mpvss", 40, "mpvss", 1), "k=40 must be between 1 and the clip's 32 frames"),
    (("mask-propagation", "mpvss", 5, "optical", 1), "Setting B: choose one of MPVSS per-query flow"),
    (("attention", "stpt-tiny-toy", 9, "stpt-global-tiny-toy", 0), "Setting A: 'attention layer"),
])
def test_compare_api_explains_bad_settings(api_client, args, words):
    assert words in refusal(api_client, "/compare", clip("toy_left"), *args)


def test_compare_api_asks_for_a_video(api_client):
    sentence = refusal(api_client, "/compare", None, "tubes", "tubevit-tiny-toy", 0, "vivit-dense-tiny-toy", 0)
    assert "Choose an example clip" in sentence


@pytest.mark.slow
def test_compare_tab_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    open_with_example(page, app_url, "toy_left", "Compare")
    page.locator("#compare-kind input").click()
    page.get_by_role("option", name="Tubes: TubeViT-tiny vs its dense twin").click()
    page.locator("#compare-variant-b input").wait_for(state="visible")
    page.wait_for_function("document.querySelector('#compare-variant-b input').value.startsWith('dense twin')")
    page.get_by_role("button", name="Run A and B on the clip").click()
    page.locator("#compare-caption").get_by_text("Frame 16 of the 32").wait_for(timeout=120_000)
    page.wait_for_selector("#compare-a img", state="visible")
    page.wait_for_selector("#compare-b img", state="visible")
    before = page.locator("#compare-a img").get_attribute("src")
    frame_box = page.locator("#compare-frame input[type='number']")
    frame_box.fill("5")
    frame_box.press("Enter")
    page.locator("#compare-caption").get_by_text("Frame 5 of the 32").wait_for(timeout=60_000)
    page.wait_for_function("(before) => document.querySelector('#compare-a img').src !== before", arg=before)
    assert page.locator("#compare-table").get_by_text("576").count() >= 1
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "compare_tab.png"), full_page=True)
