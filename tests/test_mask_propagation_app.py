"""The mask-propagation tab as users and scripts reach it: the `propagate` API and the browser."""
from __future__ import annotations

from pathlib import Path

import pytest
from api_steps import clip, refusal
from browser_steps import open_with_example


@pytest.mark.slow
def test_propagate_api_returns_video_and_metrics(api_client):
    outputs = api_client.predict(clip("toy_left"), "query-segmentor-tiny-toy", "mpvss", 5, api_name="/propagate")
    video = outputs[0]
    path = video["video"] if isinstance(video, dict) else video
    assert Path(path).suffix == ".mp4" and Path(path).stat().st_size > 1000
    metrics = outputs[1]
    assert metrics["k"] == 5 and metrics["flow"] == "mpvss" and metrics["reference"] == "ground truth"
    assert 0.0 <= metrics["miou"] <= 1.0
    assert metrics["gflops_per_frame"] < metrics["per_frame_segmentation_gflops"]
    assert metrics["key_frames"] == list(range(0, metrics["frames"], 5))


def test_propagate_api_explains_bad_settings(api_client):
    assert "Choose an example clip" in refusal(api_client, "/propagate", None, "query-segmentor-tiny-toy", "dis", 5)
    assert "Nothing is painted" in refusal(api_client, "/propagate", clip("toy_left"), "painted", "dis", 5)


@pytest.mark.slow
def test_mask_propagation_tab_in_browser(app_url, browser_page, screenshot_dir):
    page = browser_page
    open_with_example(page, app_url, tab="Mask propagation")
    page.locator("#mp-run").click()
    page.wait_for_selector("#mp-strip img", state="visible", timeout=180_000)
    page.wait_for_selector("#mp-metrics", state="visible")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshot_dir / "mask_propagation_tab.png"), full_page=True)
    page.locator("#mp-sweep").click()
    page.wait_for_selector("#mp-cost .js-plotly-plot", state="visible", timeout=300_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(screenshot_dir / "mask_propagation_sweep.png"), full_page=True)
    assert page.locator("#mp-cost .js-plotly-plot").count() == 1
    assert page.locator("#mp-drift .js-plotly-plot").count() == 1


def test_painting_from_the_image_editor_becomes_labels():
    import numpy as np

    from lib.methods.mask_propagation import merge_painting
    from lib.methods.mask_propagation.segmentors import labels_from_painting

    assert merge_painting(None) is None
    assert merge_painting({"background": None, "layers": [], "composite": None}) is None
    first, second = np.zeros((16, 16, 4), np.uint8), np.zeros((16, 16, 4), np.uint8)
    first[2:6, 2:6] = (230, 25, 75, 255)
    second[8:12, 8:12] = (60, 180, 75, 255)
    labels = labels_from_painting(merge_painting({"background": None, "layers": [first, second], "composite": None}))
    assert (labels[2:6, 2:6] == 1).all() and (labels[8:12, 8:12] == 2).all() and labels.sum() == 16 + 32


def test_the_tab_decodes_a_clip_once_for_the_editor_and_the_run(monkeypatch):
    """Choosing a video fills the paint editor; Propagate then reuses that decode (handlers called directly)."""
    import gradio as gr

    import demos.mask_propagation as tab
    from lib.examples import EXAMPLES_DIR
    from lib.methods.mask_propagation import task
    from lib.video import load_clip

    calls = []
    monkeypatch.setattr(task, "load_clip", lambda *a, **kw: calls.append(a) or load_clip(*a, **kw))
    task._decoded.cache_clear()
    with gr.Blocks():
        view = tab.build_tab(gr.Video())
    path = str(EXAMPLES_DIR / "toy_bounce.mp4")
    editor = tab.first_frame(path)
    out, = tab.propagate(path, "query-segmentor-tiny-toy", "none", 5, editor, progress=lambda *a, **kw: None,
                         view=view)  # a generator: one answer, its overlay folder deleted once it is read
    task._decoded.cache_clear()
    assert len(calls) == 1
    assert out[view.metrics]["reference"] == "ground truth"
    from demos.common import stored

    assert stored(out[view.state]).frames[0].shape == editor["background"].shape
    assert set(out) == set(view.propagate_outputs)
