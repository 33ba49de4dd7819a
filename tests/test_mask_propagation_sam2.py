"""SAM 2 in the Mask propagation tab (issue 18): the key frame's masks prompt SAM 2, its memory carries them; the
result sits beside per-frame segmentation, MPVSS and plain flow; a CPU refuses it with the measured seconds.

A tiny random Sam2VideoModel (tests/tiny_models.py) stands in for the checkpoint behind the tab's loader, and the
GPU-only rule is lifted with VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1 where SAM 2 must run. Random weights say nothing about
mask quality: these tests check mechanics, bookkeeping and costs.
"""
from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from api_steps import clip, refusal
from tiny_models import tiny_sam2_video

from lib.errors import UserInputError
from lib.methods.mask_propagation import (
    SAM2,
    check_propagator,
    cost_figure,
    gpu_note,
    propagator_label,
    render_frame,
    run_cost_sweep,
    run_on_frames,
)
from lib.methods.mask_propagation import sam2_track as sam2_module
from lib.methods.mask_propagation.data import held_out_seeds, toy_clip
from lib.methods.mask_propagation.metrics import mean_iou
from lib.models import gpu_only


@pytest.fixture(scope="module")
def tiny():
    return tiny_sam2_video()


@pytest.fixture
def sam2_here(tiny, monkeypatch):
    """SAM 2 runs on this CPU (the override) as the tiny model."""
    monkeypatch.setattr(sam2_module, "load_sam2", lambda: tiny)
    monkeypatch.setenv(gpu_only.ALLOW_ENV, "1")
    return tiny


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(gpu_only, "has_gpu", lambda: False)
    monkeypatch.delenv(gpu_only.ALLOW_ENV, raising=False)


@pytest.fixture(scope="module")
def toy():
    return toy_clip(held_out_seeds(1)[0])


def test_sam2_carries_the_segmented_key_frame_and_sits_beside_the_flows(sam2_here, toy):
    frames, truth = toy.frames[:6], toy.semantic[:6]
    result = run_on_frames(frames, flow=SAM2, k=3, ground_truth=truth)
    track = result.track
    assert result.k == 6 and track.is_key.tolist() == [True] + [False] * 5  # one key frame: SAM 2's prompt
    assert track.since_key.tolist() == list(range(6)) and not track.flow.any()
    # frame 0 pays the segmentation that made the prompt plus SAM 2's prompted forward; the others SAM 2 only
    assert track.flops[0] > result.key_flops and (track.flops[1:] > 0).all()
    assert result.miou == pytest.approx(mean_iou(track.labels, truth, len(track.class_names)))
    metrics = result.metrics()
    assert metrics["flow"] == SAM2 and metrics["key_frames"] == [0] and metrics["mean_warp_error"] is None
    beside = {row["method"]: row for row in metrics["beside_on_this_clip"]}
    assert set(beside) == {"per-frame", "mpvss", "dis"} and beside["mpvss"]["k"] == 5
    assert beside["per-frame"]["gflops_per_frame"] == pytest.approx(result.per_frame_gflops, rel=1e-3)
    assert beside["mpvss"]["gflops_per_frame"] < beside["per-frame"]["gflops_per_frame"]
    overlay, strip, flows = render_frame(result, 4)
    assert overlay.shape == (128, 128, 3) and strip.ndim == flows.ndim == 3
    assert "SAM 2's memory" in render_caption(result, 4)


def render_caption(result, t):
    from lib.methods.mask_propagation import frame_caption

    return frame_caption(result, t)


def test_the_sweep_adds_the_sam2_run_as_one_point(sam2_here, toy):
    result = run_on_frames(toy.frames[:6], flow=SAM2, k=5, ground_truth=toy.semantic[:6])
    sweep = run_cost_sweep(result, ks=(1, 3))
    sam2 = [p for p in sweep.points if p.method == SAM2]
    assert len(sam2) == 1 and sam2[0].miou == pytest.approx(result.miou)
    assert sam2[0].gflops_per_frame == pytest.approx(result.gflops_per_frame)
    assert {p.method for p in sweep.points} == {"per-frame", "mpvss", "dis", "none", SAM2}
    figure = cost_figure(sweep)
    names = [trace.name for trace in figure.data]
    assert any("SAM 2" in name for name in names) and figure.layout.xaxis.type == "log"


def test_painted_masks_prompt_sam2_without_a_reference(sam2_here, toy):
    painting = np.zeros((128, 128, 4), np.uint8)
    painting[20:70, 30:90] = (230, 25, 75, 255)
    result = run_on_frames(toy.frames[:4], segmentor="painted", flow=SAM2, painting=painting)
    assert result.reference is None and not np.isfinite(result.miou) and result.baselines == ()
    assert set(np.unique(result.track.labels).tolist()) <= {0, 1}
    assert (result.track.labels[0][20:70, 30:90] == 1).mean() > 0.9  # the prompt comes back on its own frame


def test_a_cpu_refuses_sam2_with_the_measured_seconds(no_gpu, toy, monkeypatch):
    def never(*_):
        raise AssertionError("nothing may load before the refusal")

    monkeypatch.setattr(sam2_module, "load_sam2", never)
    with pytest.raises(UserInputError, match=r"needs a GPU: on a 2-core CPU it took \d+ s a frame"):
        run_on_frames(toy.frames[:4], flow=SAM2, k=2)
    assert "refused" in propagator_label(SAM2) and gpu_note().startswith("sam2.1-hiera-tiny needs a GPU")
    check_propagator("mpvss")  # the flows run anywhere
    assert gpu_only.offered(("dinov2-small", "sam2.1-hiera-tiny")) == ("dinov2-small",)
    monkeypatch.setenv(gpu_only.ALLOW_ENV, "yes")  # the override, as benchmarks and the notebook set it
    assert gpu_only.offered(("dinov2-small", "sam2.1-hiera-tiny")) == ("dinov2-small", "sam2.1-hiera-tiny")
    monkeypatch.delenv(gpu_only.ALLOW_ENV)
    monkeypatch.setattr(gpu_only, "has_gpu", lambda: True)
    check_propagator(SAM2)
    assert gpu_note() == "" and "refused" not in propagator_label(SAM2)


def test_propagate_api_runs_sam2_and_exports_it(api_client, sam2_here):
    outputs = api_client.predict(clip("toy_left"), "query-segmentor-tiny-toy", SAM2, 5, api_name="/propagate")
    metrics = outputs[1]
    assert metrics["flow"] == SAM2 and metrics["key_frames"] == [0] and metrics["reference"] == "ground truth"
    assert metrics["k"] == metrics["frames"] and 0.0 <= metrics["miou"] <= 1.0
    assert {row["method"] for row in metrics["beside_on_this_clip"]} == {"per-frame", "mpvss", "dis"}
    archive = zipfile.ZipFile(api_client.predict(api_name="/propagate_download"))
    names = archive.namelist()
    assert any(name.endswith(".npz") for name in names)
    manifest = json.loads(archive.read("manifest.json"))
    assert SAM2 in json.dumps(manifest["settings"])
    assert [m["name"] for m in manifest["models"]] == ["query-segmentor-tiny-toy", "sam2.1-hiera-tiny"]


def test_propagate_api_refuses_sam2_on_a_cpu(api_client, no_gpu):
    sentence = refusal(api_client, "/propagate", clip("toy_left"), "query-segmentor-tiny-toy", SAM2, 5)
    assert "needs a GPU" in sentence and "s a frame" in sentence


@pytest.mark.slow
def test_sam2_in_the_tab_and_its_point_on_the_cost_plot(app_url, browser_page, screenshot_dir, sam2_here):
    import re

    from browser_steps import open_with_example

    page = browser_page
    open_with_example(page, app_url, "toy_left", "Mask propagation")
    page.locator("#mp-flow input").click()
    page.get_by_role("option", name=re.compile("^SAM 2.1 hiera-tiny memory")).click()  # the label as built
    page.locator("#mp-run").click()
    page.locator("#mp-caption").get_by_text("SAM 2's memory").wait_for(timeout=180_000)
    page.locator("#mp-metrics").get_by_text("beside_on_this_clip").wait_for()
    page.locator("#mp-sweep").click()
    page.wait_for_selector("#mp-cost .js-plotly-plot", state="visible", timeout=300_000)
    assert page.locator("#mp-cost").get_by_text("SAM 2 memory (prompted on frame 0)").count() >= 1
    page.wait_for_timeout(1000)
    page.screenshot(path=str(screenshot_dir / "mask_propagation_sam2.png"), full_page=True)
