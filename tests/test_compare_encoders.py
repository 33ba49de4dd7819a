"""Compare "Token merging: two frame encoders" (issue 18): the bundled encoder against DINOv2-S / SigLIP 2 at one
budget on the same sampled moments, through the library, the `compare` API and the browser.

The pretrained towers are tiny random ones with the checkpoints' real input geometry (tests/tiny_models.py) put
where the Token merging task loads models, so the app in this process runs them offline; only geometry,
bookkeeping and the fidelity figures' range are checked, never what merges (random weights).
"""
from __future__ import annotations

import json
import zipfile

import pytest
from api_steps import clip
from browser_steps import open_with_example
from conftest import REPO_ROOT
from tiny_models import tiny_dinov2, tiny_siglip

from lib.methods.compare import Setting, compare_rows, render_compare, run_compare
from lib.methods.token_merging import task as merging_task
from lib.models import get_spec, load_from
from lib.models import speed as model_speed
from lib.models.precision import PRECISION_ENV


def example(name: str) -> str:
    return str(REPO_ROOT / "assets" / "examples" / f"{name}.mp4")


TINY = {"dinov2-small": tiny_dinov2, "siglip2-base-p16-224": tiny_siglip}


@pytest.fixture
def tiny_towers(tmp_path, monkeypatch):
    """DINOv2-S and SigLIP 2 as tiny towers behind the task's load_model; the bundled encoder loads as usual."""
    towers = {}
    for name, build in TINY.items():
        build().save_pretrained(tmp_path / name)
        towers[name] = load_from(get_spec(name), tmp_path / name, device="cpu")
    real_load = merging_task.load_model
    monkeypatch.setattr(merging_task, "load_model", lambda name: towers.get(name) or real_load(name))
    monkeypatch.setattr(model_speed, "_MEASURED", {})  # the tiny towers' speed is not the checkpoints'
    monkeypatch.setenv(PRECISION_ENV, "float32")
    return towers


def test_bundled_encoder_against_dinov2_at_one_budget(tiny_towers):
    result = run_compare(example("photo_pan"), "merge-encoders", Setting("frame-vit-toy", 32),
                         Setting("dinov2-small", 32))
    rows = {row[0]: row[1:] for row in compare_rows(result)}
    assert result.a.num_frames == result.b.num_frames == 20  # the same 20 sampled moments on both sides
    assert rows["patch grid per frame"] == ["12x12", "16x16"]  # frame-vit-toy 96 px / 8; DINOv2 224 px / 14
    assert rows["patch tokens before merging"] == [str(20 * 144), str(20 * 256)]
    globals_b = len(result.b.result.global_tokens)  # one per hidden state, up to 5: the tiny tower has fewer
    assert rows["tokens kept (global + segments x per segment)"] == [str(5 + 4 * 32), str(globals_b + 4 * 32)]
    errors = [result.a.value("merge error (share of feature spread lost)"),
              result.b.value("merge error (share of feature spread lost)")]
    assert all(0 < e < 1 for e in errors)
    # the trained encoder's merged tokens keep more of its features than pooling to the same count does
    assert errors[0] < result.a.value("average pooling error at the same count")
    assert rows["encoder GFLOPs, all frames"][1] == f"{20 * get_spec('dinov2-small').gflops_per_input:g}"
    image_a, image_b, caption = render_compare(result, 7)
    assert image_a.shape[0] == image_b.shape[0] >= 320 and "frame 3 of segment 2" in caption


def test_siglip_side_says_its_global_tokens_are_mean_patches(tiny_towers):
    result = run_compare(example("toy_left"), "merge-encoders", Setting("siglip2-base-p16-224", 16),
                         Setting("dinov2-small", 16))
    rows = {row[0]: row[1:] for row in compare_rows(result)}
    assert rows["global tokens from"] == ["mean patch token (no CLS)", "CLS"]
    assert rows["patch grid per frame"] == ["14x14", "16x16"]


def test_compare_api_runs_two_encoders_and_exports_both(api_client, tiny_towers):
    out = api_client.predict(clip("photo_pan"), "merge-encoders", "frame-vit-toy", 32, "dinov2-small", 32,
                             api_name="/compare")
    summary, image_a, image_b, frame, caption, table = out
    assert "two frame encoders" in summary and image_a["label"].startswith("A: frame-vit-toy")
    assert image_b["label"].startswith("B: dinov2-small") and frame["maximum"] == 19
    rows = {row[0]: row[1:] for row in table["data"]}
    assert rows["patch grid per frame"] == ["12x12", "16x16"]
    data = json.loads(zipfile.ZipFile(api_client.predict(api_name="/compare_download")).read("manifest.json"))
    sides = data["numbers"]
    assert sides["A"]["variant"] == "frame-vit-toy" and sides["B"]["variant"] == "dinov2-small"
    assert sides["B"]["numbers"]["patch tokens before merging"] == 20 * 256


def test_compare_api_refuses_a_target_over_a_segment(api_client):
    from api_steps import refusal

    sentence = refusal(api_client, "/compare", clip("toy_left"), "merge-encoders", "frame-vit-toy", 1000,
                       "frame-vit-toy", 8)
    assert "1000" in sentence  # the tab's own check: 5 frames x 144 patches = 720 tokens in a segment


@pytest.mark.slow
def test_two_encoders_in_browser(app_url, browser_page, screenshot_dir, tiny_towers):
    page = browser_page
    open_with_example(page, app_url, "photo_pan", "Compare")
    page.locator("#compare-kind input").click()
    page.get_by_role("option", name="Token merging: two frame encoders").click()
    page.wait_for_function("document.querySelector('#compare-variant-b input').value === 'dinov2-small'")
    page.get_by_role("button", name="Run A and B on the clip").click()
    page.locator("#compare-caption").get_by_text("Frame 10 of 20").wait_for(timeout=120_000)
    page.wait_for_selector("#compare-b img", state="visible")
    assert page.locator("#compare-table").get_by_text("16x16").count() >= 1
    page.wait_for_timeout(500)
    page.screenshot(path=str(screenshot_dir / "compare_encoders.png"), full_page=True)
