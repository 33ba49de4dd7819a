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


@pytest.mark.parametrize("parts", [None, "time"])  # None: a client that omits the newer "parts" input
def test_recording_one_layer_returns_valid_sliders(api_client, parts):
    args = (clip("toy_long"), "stpt-tiny-toy", False, "5") + (() if parts is None else (parts,))
    out = api_client.predict(*args, api_name="/attention")
    text, costs, timeline, stats, picker, query, rollout, side, layer_text, layer, head, frame, shown, start, cls = out
    assert cls is None  # STPT has no CLS token
    assert layer_text.startswith("block 5 · global")  # the one recorded map is named by its block
    assert all(image is not None for image in (picker, query, rollout))
    assert (layer["minimum"], layer["maximum"], layer["value"], layer["interactive"]) == (0, 1, 0, False)
    for slider in (frame, shown):  # 64 input frames: a real range
        assert slider["minimum"] < slider["maximum"] == 63 and slider["interactive"]
    assert len(json.loads(stats["plot"])["data"]) == 3  # one model, three panels, one point each


def test_index_slider_is_valid_for_one_item():
    import gradio as gr

    from demos.attention import index_slider

    for count, value in ((1, 0), (1, 5), (2, 1), (64, 31)):
        update = index_slider(count, value)
        settings = {k: v for k, v in update.items() if k in ("minimum", "maximum", "value", "interactive")}
        slider = gr.Slider(step=1, **settings)  # gradio raises for minimum >= maximum
        assert slider.maximum == max(1, count - 1) and 0 <= slider.value <= count - 1
        assert slider.interactive is (count > 1)


def test_attention_costs_show_macs_beside_flops(api_client):
    from demos.attention import COST_HEADERS

    out = api_client.predict(clip("toy_long"), "stpt-tiny-toy", True, "0", "both", api_name="/attention")
    costs = out[1]
    assert costs["headers"][-1] == COST_HEADERS[-1] == "GMACs per window"
    for row in costs["data"]:
        assert float(row[-1]) == pytest.approx(float(row[1]) / 2, abs=2e-3)  # a MAC is two of torch's FLOPs


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
