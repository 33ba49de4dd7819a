"""Compare "Attention: VideoMAE vs TimeSformer vs V-JEPA 2" (issue 18): one query, one time axis, one colour scale,
through the library, the `compare` API, the download and the browser.

The checkpoints are tiny random models with their real input geometry (tests/tiny_models.py: VideoMAE 16 frames at
224 px, TimeSformer 8 at 224, V-JEPA 2 16 at 256; 2 blocks each) put where the Attention tab loads models, so the
app in this process runs them offline; geometry, frame mapping and bookkeeping are checked, never what a random
model attends to.
"""
from __future__ import annotations

import json
import os
import zipfile

import numpy as np
import pytest
from api_steps import refusal, upload
from browser_steps import open_with_example
from tiny_models import tiny_video_models_at_real_geometry

from lib.errors import UserInputError
from lib.methods.attention import gpu_only, task
from lib.methods.compare import Setting, compare_rows, export_compare, render_compare, run_compare
from lib.methods.compare import video_attention as pair
from lib.methods.compare.video_attention_view import nearest_frame, seconds_of, side_picture
from lib.models import get_spec, load_from
from lib.models import speed as model_speed
from lib.models.precision import PRECISION_ENV
from lib.video import write_mp4

KEY = "attention-video-models"
VIDEOMAE, TIMESFORMER, VJEPA2 = pair.VIDEOMAE, pair.TIMESFORMER, pair.VJEPA2


@pytest.fixture(scope="module")
def ten_seconds(tmp_path_factory):
    """10 s at 25 fps, 96x160: longer than every model's window (VideoMAE 2 s, V-JEPA 2 5 s, TimeSformer 7.5 s)."""
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 255, (250, 6, 10, 3), dtype=np.uint8), 16, axis=1).repeat(16, axis=2)
    return str(write_mp4(frames, tmp_path_factory.mktemp("trio") / "ten.mp4", fps=25.0, crf=18))


@pytest.fixture
def tiny_video_models(tmp_path, monkeypatch):
    """The three checkpoints as tiny models behind run_attention's load_model (saved, then loaded by their specs)."""
    models = {}
    for name, model in tiny_video_models_at_real_geometry().items():
        model.save_pretrained(tmp_path / name)
        models[name] = load_from(get_spec(name), tmp_path / name, device="cpu")
    monkeypatch.setattr(task, "load_model", lambda name: models[name])
    monkeypatch.setattr(model_speed, "_MEASURED", {})  # the tiny models' speed is not the checkpoints'
    monkeypatch.setenv(PRECISION_ENV, "float32")
    return models


def _rows(result) -> dict:
    return {row[0]: row[1:] for row in compare_rows(result)}


def test_videomae_against_timesformer_on_their_own_windows(tiny_video_models, ten_seconds):
    result = run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 1), Setting(TIMESFORMER, 0))
    a, b = result.a.result, result.b.result
    assert a.main.blocks == (1,) and b.main.blocks == (0, 0)  # only the chosen block (TimeSformer: time and space)
    assert [layer.kind for layer in b.main.layers] == ["time", "space"]
    rows = _rows(result)
    assert rows["tokens (time x height x width)"] == ["1,568 = 8x14x14", "1 CLS + 1,568 = 8x14x14"]
    assert rows["tubelet (frames x pixels)"] == ["2x16x16", "1x16x16 (one frame per token)"]
    assert rows["input (frames x pixels)"] == ["16 x 224x224", "8 x 224x224"]
    assert rows["keys per query in this block"] == ["1,568", "8, then 197 (CLS + 14x14 patches)"]
    assert rows["seconds of video between input frames"] == [f"{4 / 30:.3g}", f"{32 / 30:.4g}"]
    gflops = [result.a.value("GFLOPs per clip (whole model, FlopCounterMode)"),
              result.b.value("GFLOPs per clip (whole model, FlopCounterMode)")]
    gmacs = [result.a.value("GMACs per clip (papers' GFLOPs = GFLOPs / 2)"),
             result.b.value("GMACs per clip (papers' GFLOPs = GFLOPs / 2)")]
    assert all(g > 0 for g in gflops) and gmacs == pytest.approx([g / 2 for g in gflops], abs=0.06)
    # each model read its own trained window, both centred in the video: TimeSformer's is the longer one
    assert a.window.length == pytest.approx(2.0, abs=0.1) and b.window.length == pytest.approx(7.5, abs=0.1)
    assert b.window.start < a.window.start < a.window.end < b.window.end
    assert rows["window used (s of the video)"][0].endswith("of 10.0 s)")


def test_the_slider_runs_over_source_time_and_each_side_shows_its_nearest_frame(tiny_video_models, ten_seconds):
    result = run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 1), Setting(TIMESFORMER, 1))
    a, b = result.a.result, result.b.result
    positions = result.a.get("positions")
    assert np.array_equal(positions, np.unique(np.concatenate([a.source_frames, b.source_frames])))
    assert result.num_frames == result.b.num_frames == len(positions) > len(a.source_frames)
    for t in (0, len(positions) // 2, len(positions) - 1):
        moment = pair.position_seconds(result.a, t)
        assert moment == pytest.approx(positions[t] / 25.0)
        for side in (a, b):
            shown = nearest_frame(side, moment)
            assert abs(seconds_of(side)[shown] - moment) == pytest.approx(np.abs(seconds_of(side) - moment).min())
    _, _, caption = render_compare(result, 0)  # the first position is TimeSformer's: before VideoMAE's window
    assert "outside its window" in caption.split("; B shows")[0] and "B shows input frame 0" in caption
    _, _, caption = render_compare(result, int(np.searchsorted(positions, a.source_frames[2])))
    assert "A shows input frame 2" in caption and "tubelet 1 = frames 2-3" in caption


def test_one_query_at_one_moment_on_one_colour_scale(tiny_video_models, ten_seconds):
    result = run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 0), Setting(TIMESFORMER, 1))
    focus = [result.a.get("focus"), result.b.get("focus")]
    moment = result.a.get("moment")
    for side, f in zip((result.a.result, result.b.result), focus):
        times = seconds_of(side)
        assert times[0] <= moment <= times[-1]  # inside both windows
        assert f.query_frame == nearest_frame(side, moment)
        assert f.query_cell[1:] == (7, 7)  # the patch under the frame's centre: pixel 112 of 224, 16 px patches
        assert f.volume.mean() == pytest.approx(1.0, rel=1e-4) and f.shares.sum() == pytest.approx(1.0, rel=1e-4)
    vmax = result.a.get("vmax")
    assert vmax == result.b.get("vmax") == max(pair.MIN_SCALE, *(float(f.volume.max()) for f in focus))
    t = result.num_frames // 2
    image_a, _ = pair.render(result.a, result.b, t)
    moment_t = pair.position_seconds(result.a, t)
    args = (result.a.result, focus[0], moment_t, result.a.get("axis"))
    assert np.array_equal(image_a, side_picture(*args, vmax, result.a.get("share_max")))
    own = float(focus[0].volume.max())
    if own < vmax:  # drawn on its own maximum, A would look different: the scale is the shared one
        assert not np.array_equal(image_a, side_picture(*args, own, result.a.get("share_max")))
    image_a, image_b, caption = render_compare(result, t)
    assert image_a.shape == image_b.shape and image_a.shape[0] >= 320
    assert f"0 to {vmax:.1f} on both" in caption


def test_timesformer_block_is_its_space_map_times_its_time_map(tiny_video_models, ten_seconds):
    result = run_compare(ten_seconds, KEY, Setting(TIMESFORMER, 1), Setting(VIDEOMAE, 1))
    side, f = result.a.result, result.a.get("focus")
    time_maps, space_maps = (layer.maps.astype(np.float64).mean(1) for layer in side.main.layers)
    t, h, w = f.query_cell
    space = space_maps[t, 1 + h * 14 + w, 1:]  # CLS column dropped, the row renormalised over the patches
    space = space / space.sum()
    expected = np.zeros((8, 14, 14))
    for p in range(196):  # each patch of the query's frame passes on what it gathered along time
        expected[:, p // 14, p % 14] = space[p] * time_maps[p, t]
    np.testing.assert_allclose(f.volume / f.volume.size, expected, atol=1e-5)


def test_one_model_on_both_sides_runs_once(tiny_video_models, ten_seconds, monkeypatch):
    calls = []
    real = pair.run_attention
    monkeypatch.setattr(pair, "run_attention", lambda *args, **kw: calls.append(kw["layers"]) or real(*args, **kw))
    result = run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 1), Setting(VIDEOMAE, 0))
    assert calls == [[0, 1]] and result.a.result is result.b.result
    assert result.num_frames == 16 and result.a.label == "VideoMAE-B, block 1"
    assert "wall time of the model's run (s), both blocks in one run" in _rows(result)


def test_vjepa2_has_its_own_grid_and_needs_a_gpu_here(tiny_video_models, ten_seconds, monkeypatch):
    if not gpu_only.has_gpu() and not os.environ.get(gpu_only.ALLOW_ENV):  # the menu offers what runs here
        assert VJEPA2 not in dict(pair.SPEC.variants) and "vjepa2-vitl-ssv2 needs a GPU" in pair.SPEC.description
    monkeypatch.setattr(gpu_only, "has_gpu", lambda: False)
    monkeypatch.delenv(gpu_only.ALLOW_ENV, raising=False)
    with pytest.raises(UserInputError, match="Setting B: vjepa2-vitl-ssv2 needs a GPU"):
        run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 1), Setting(VJEPA2, 1))
    monkeypatch.setenv(gpu_only.ALLOW_ENV, "1")
    result = run_compare(ten_seconds, KEY, Setting(VJEPA2, 1), Setting(TIMESFORMER, 1))
    rows = _rows(result)
    assert rows["tokens (time x height x width)"][0] == "2,048 = 8x16x16"
    assert rows["input (frames x pixels)"][0] == "16 x 256x256"
    assert result.a.get("focus").query_cell[1:] == (8, 8)  # pixel 128 of 256
    assert result.a.result.window.length == pytest.approx(5.0, abs=0.1)  # 16 x 4 at SSv2's 12 fps


def test_a_block_the_model_lacks_is_refused_with_the_side(tiny_video_models, ten_seconds):
    with pytest.raises(UserInputError, match=r"Setting B \(TimeSformer-B\): .*layers 0\.\.1"):
        run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 1), Setting(TIMESFORMER, 7))
    with pytest.raises(UserInputError, match="whole number from 0 to 23; got 24"):
        run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 24), Setting(TIMESFORMER, 1))


def test_export_holds_both_sides(tiny_video_models, ten_seconds, tmp_path):
    result = run_compare(ten_seconds, KEY, Setting(VIDEOMAE, 1), Setting(TIMESFORMER, 1))
    with zipfile.ZipFile(export_compare(result, tmp_path)) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
    assert {"pictures/A.png", "pictures/B.png", "arrays/A.npz", "arrays/B.npz"} <= names
    assert {VIDEOMAE, TIMESFORMER} <= {m["name"] for m in manifest["models"]}
    sides = manifest["numbers"]
    assert sides["A"]["numbers"]["tokens (time x height x width)"] == "1,568 = 8x14x14"
    assert "outside its window" not in sides["shown_frame"]["caption"].split("; B")[0]


def test_compare_api_runs_videomae_against_timesformer(api_client, tiny_video_models, ten_seconds):
    out = api_client.predict(upload(ten_seconds), KEY, VIDEOMAE, 1, TIMESFORMER, 1, api_name="/compare")
    summary, image_a, image_b, frame, caption, table = out
    assert "VideoMAE vs TimeSformer" in summary and image_a["label"] == "A: VideoMAE-B, block 1"
    assert image_b["label"] == "B: TimeSformer-B, block 1" and frame["maximum"] >= 16
    rows = {row[0]: row[1:] for row in table["data"]}
    assert rows["tokens (time x height x width)"] == ["1,568 = 8x14x14", "1 CLS + 1,568 = 8x14x14"]
    data = json.loads(zipfile.ZipFile(api_client.predict(api_name="/compare_download")).read("manifest.json"))
    assert data["numbers"]["B"]["variant"] == TIMESFORMER
    assert "needs a GPU" in refusal(api_client, "/compare", upload(ten_seconds), KEY, VIDEOMAE, 1, VJEPA2, 1) \
        or gpu_only.has_gpu()


@pytest.mark.slow
def test_video_models_in_browser(app_url, browser_page, screenshot_dir, tiny_video_models):
    page = browser_page
    open_with_example(page, app_url, "toy_long", "Compare")
    page.locator("#compare-kind input").click()
    page.get_by_role("option", name="Attention: VideoMAE vs TimeSformer vs V-JEPA 2").click()
    page.wait_for_function("document.querySelector('#compare-variant-b input').value.startsWith('TimeSformer')")
    for which in ("a", "b"):  # the tiny models have blocks 0 and 1 (the real ones 12 or 24)
        box = page.locator(f"#compare-number-{which} input[type='number']")
        box.fill("1")
        box.press("Enter")
    page.get_by_role("button", name="Run A and B on the clip").click()
    page.locator("#compare-caption").get_by_text("on both sides").wait_for(timeout=120_000)
    page.wait_for_selector("#compare-b img", state="visible")
    assert page.locator("#compare-table").get_by_text("8, then 197 (CLS + 14x14 patches)").count() == 1
    before = page.locator("#compare-a img").get_attribute("src")
    frame_box = page.locator("#compare-frame input[type='number']")
    frame_box.fill("0")  # TimeSformer's first frame, seconds before VideoMAE's window starts
    frame_box.press("Enter")
    page.locator("#compare-caption").get_by_text("outside its window").wait_for(timeout=60_000)
    page.wait_for_function("(before) => document.querySelector('#compare-a img').src !== before", arg=before)
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "compare_video_attention.png"), full_page=True)
