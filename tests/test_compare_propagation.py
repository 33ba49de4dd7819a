"""Compare "MPVSS vs SAM 2 propagation" (issue 18): the same segmentor's masks carried by MPVSS's flows and by SAM 2's
memory on one clip, through the library, the `compare` API (and its zip) and the browser.

SAM 2 is a tiny random Sam2VideoModel (tests/tiny_models.py) behind the tab's loader, with the GPU-only rule lifted
(VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1) where it must run; only bookkeeping is checked, never the masks (random weights).
"""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from api_steps import clip, refusal
from browser_steps import open_with_example
from conftest import REPO_ROOT
from tiny_models import tiny_sam2_video

from lib.errors import UserInputError
from lib.methods.compare import Setting, compare_rows, render_compare, run_compare
from lib.methods.mask_propagation import sam2_track as sam2_module
from lib.models import gpu_only

KEY = "propagation-engines"
MIOU = "mIoU vs ground truth"


def example(name: str) -> str:
    return str(REPO_ROOT / "assets" / "examples" / f"{name}.mp4")


@pytest.fixture(scope="module")
def tiny():
    return tiny_sam2_video()


@pytest.fixture
def sam2_here(tiny, monkeypatch):
    monkeypatch.setattr(sam2_module, "load_sam2", lambda: tiny)
    monkeypatch.setenv(gpu_only.ALLOW_ENV, "1")


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(gpu_only, "has_gpu", lambda: False)
    monkeypatch.delenv(gpu_only.ALLOW_ENV, raising=False)


def test_mpvss_against_sam2_on_one_clip(sam2_here):
    result = run_compare(example("toy_left"), KEY, Setting("mpvss", 5), Setting("sam2", 5))
    a, b = result.a.result, result.b.result
    assert result.a.num_frames == result.b.num_frames == len(a.frames) and np.array_equal(a.frames, b.frames)
    assert a.track.is_key.sum() == -(-len(a.frames) // 5) and b.track.is_key.tolist() == [True] + [False] * (
        len(b.frames) - 1)
    # both are scored against the toy world's ground truth, and SAM 2 was prompted with the same segmentor's frame 0
    assert np.array_equal(a.reference, b.reference) and np.array_equal(a.track.labels[0], a.segmentations[0].labels(
        a.frames.shape[1:3]))
    rows = {row[0]: row[1:] for row in compare_rows(result)}
    assert rows["frames segmented by the segmentor"] == [str(int(a.track.is_key.sum())), "1"]
    assert 0 <= result.a.value(MIOU) <= 1 and 0 <= result.b.value(MIOU) <= 1
    assert result.b.value("GFLOPs per frame (mean)") == pytest.approx(round(b.gflops_per_frame, 4))
    image_a, image_b, caption = render_compare(result, 3)
    assert image_a.shape == image_b.shape and image_a.shape[0] >= 320
    assert "SAM 2: frame 0 only" in caption and "ground truth" in caption


def test_a_cpu_refuses_the_sam2_side_before_running(no_gpu, monkeypatch):
    monkeypatch.setattr(sam2_module, "load_sam2", lambda: pytest.fail("SAM 2 loaded on a CPU"))
    with pytest.raises(UserInputError, match="needs a GPU"):
        run_compare(example("toy_left"), KEY, Setting("mpvss", 5), Setting("sam2", 5))
    result = run_compare(example("toy_left"), KEY, Setting("mpvss", 5), Setting("dis", 5))  # flows run anywhere
    assert result.b.label == "Plain optical flow, k=5"


def test_compare_api_runs_both_engines_and_exports_them(api_client, sam2_here):
    out = api_client.predict(clip("toy_left"), KEY, "mpvss", 5, "sam2", 5, api_name="/compare")
    summary, image_a, image_b, frame, caption, table = out
    assert "MPVSS vs SAM 2" in summary and image_b["label"].startswith("B: SAM 2.1 hiera-tiny")
    rows = {row[0]: row[1:] for row in table["data"]}
    assert rows["frames segmented by the segmentor"][1] == "1"
    data = json.loads(zipfile.ZipFile(api_client.predict(api_name="/compare_download")).read("manifest.json"))
    sides = data["numbers"]
    assert sides["A"]["variant"] == "mpvss" and sides["B"]["variant"] == "sam2"
    assert sides["B"]["numbers"]["frames segmented by the segmentor"] == 1
    assert "sam2" in json.dumps(data["settings"])


def test_compare_api_refuses_sam2_on_a_cpu(api_client, no_gpu):
    sentence = refusal(api_client, "/compare", clip("toy_left"), KEY, "mpvss", 5, "sam2", 5)
    assert "needs a GPU" in sentence


@pytest.mark.slow
def test_mpvss_against_sam2_in_browser(app_url, browser_page, screenshot_dir, sam2_here):
    page = browser_page
    open_with_example(page, app_url, "toy_left", "Compare")
    page.locator("#compare-kind input").click()
    page.get_by_role("option", name="MPVSS vs SAM 2 propagation").click()
    page.wait_for_function("document.querySelector('#compare-variant-b input').value.startsWith('SAM 2')")
    page.get_by_role("button", name="Run A and B on the clip").click()
    page.locator("#compare-caption").get_by_text("SAM 2: frame 0 only").wait_for(timeout=180_000)
    page.wait_for_selector("#compare-b img", state="visible")
    assert page.locator("#compare-table").get_by_text("frames segmented by the segmentor").count() >= 1
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "compare_propagation.png"), full_page=True)
