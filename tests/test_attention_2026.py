"""DINOv2-S and V-JEPA 2 in the Attention tab (issue 18): catalog, recording, views, GPU-only rule, the tab's API.

Tiny random models with the checkpoints' real input geometry (DINOv2: patch 14 at 224 px -> 16x16 patches + CLS per
frame; V-JEPA 2: tubelets 2x16x16 at 256 px, 16 frames -> 8x16x16 = 2,048 tokens, no CLS) stand in for the
checkpoints: shapes, parity with transformers' own attention output and bookkeeping are checked, never what a
random model attends to.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from api_steps import refusal
from tiny_models import tiny_dinov2, tiny_vjepa2

from lib.errors import UserInputError
from lib.hooks import TokenGrid
from lib.methods.attention import (
    MODEL_CHOICES,
    gpu_only,
    offered_models,
    render_cls,
    run_attention,
    summary,
    task,
    time_estimate,
    token_geometry,
)
from lib.methods.attention.maps import LayerAttention
from lib.methods.attention.record import attention_blocks, record_view
from lib.methods.attention.stats import layer_stats, mean_distances, mean_entropy
from lib.models import get_spec, load_from
from lib.video import write_mp4

VJEPA2, DINOV2 = "vjepa2-vitl-ssv2", "dinov2-small"


def _video_vjepa2(layers: int = 24):
    """V-JEPA 2 at the real input geometry (256 px, 16 frames, tubelets 2x16x16) and depth, 16 wide, 2 heads."""
    from transformers import VJEPA2Config, VJEPA2ForVideoClassification

    config = VJEPA2Config(crop_size=256, frames_per_clip=16, hidden_size=16, num_hidden_layers=layers,
                          num_attention_heads=2, mlp_ratio=2.0, num_pooler_layers=1, pred_hidden_size=8,
                          pred_num_attention_heads=2, pred_num_hidden_layers=1, num_labels=5)
    torch.manual_seed(0)
    return VJEPA2ForVideoClassification(config).eval()


@pytest.fixture
def video(tmp_path):
    """3.5 s at 12 fps (42 frames), 120 x 200 px: shorter than V-JEPA 2's 16 x 4 window at 12 fps (5 s), so the window
    covers it (its last frame repeated); DINOv2 reads 8 frames spread over it."""
    rng = np.random.default_rng(0)
    frames = np.repeat(rng.integers(0, 255, (42, 12, 20, 3), dtype=np.uint8), 10, axis=1).repeat(10, axis=2)
    path = tmp_path / "clip.mp4"
    write_mp4(frames, path, fps=12.0, crf=18)
    return path


@pytest.fixture
def tiny_hub(tmp_path, monkeypatch):
    """run_attention's load_model returns tiny models loaded through the catalog specs (saved, then load_from)."""
    models = {}
    for name, build in ((DINOV2, tiny_dinov2), (VJEPA2, _video_vjepa2)):
        build().save_pretrained(tmp_path / name)
        models[name] = load_from(get_spec(name), tmp_path / name, device="cpu")
    monkeypatch.setattr(task, "load_model", lambda name: models[name])
    monkeypatch.setenv("VIDEO_EXPLORER_PRECISION", "float32")
    return models


def test_catalog_entries_and_the_gpu_only_rule(monkeypatch):
    spec = get_spec(VJEPA2)
    assert (spec.family, spec.num_frames, spec.image_size, spec.needs_attention) == ("vjepa2", 16, 256, True)
    assert (spec.sampling.num_frames, spec.sampling.frame_stride, spec.sampling.crop) == (16, 4, 256)
    assert spec.sampling.short_side == int(256 * 256 / 224) == 292 and spec.sampling.window_seconds == 5.0
    assert DINOV2 in MODEL_CHOICES and VJEPA2 in MODEL_CHOICES
    monkeypatch.setattr(gpu_only, "has_gpu", lambda: False)
    monkeypatch.delenv(gpu_only.ALLOW_ENV, raising=False)
    assert VJEPA2 not in offered_models(MODEL_CHOICES) and DINOV2 in offered_models(MODEL_CHOICES)
    assert "needs a GPU" in time_estimate(VJEPA2) and "8 frames" in time_estimate(DINOV2)
    with pytest.raises(UserInputError, match="needs a GPU: on a 2-core CPU its main action took"):
        run_attention("any.mp4", model=VJEPA2)
    monkeypatch.setattr(gpu_only, "has_gpu", lambda: True)
    assert offered_models(MODEL_CHOICES) == MODEL_CHOICES and "needs a GPU" not in time_estimate(VJEPA2)


def test_vjepa2_records_its_encoder_blocks_as_transformers_returns_them():
    model = tiny_vjepa2()
    blocks = attention_blocks(model, "vjepa2")  # the predictor's and the probe's attention are not blocks
    assert len(blocks) == 2 and all(part == "global" for (block,) in blocks for _, part in [block])
    pixels = torch.randn(1, 4, 3, 32, 32)
    view = record_view(model, "vjepa2", pixels, name=VJEPA2)
    assert [layer.grid for layer in view.layers] == [TokenGrid(2, 2, 2, tubelet=(2, 16, 16))] * 2
    with torch.no_grad():
        reference = model.vjepa2(pixel_values_videos=pixels, skip_predictor=True, output_attentions=True).attentions
    for layer, expected in zip(view.layers, reference):
        assert layer.maps.shape == (4, 8, 8)
        assert np.abs(layer.maps.astype(np.float32) - expected[0].numpy()).max() < 2e-3  # fp16 copies
    assert view.logits.shape == (5,) and view.rollout.shape == (8, 8)
    assert view.block_stats == ()  # nothing summarised unless asked
    summarised = record_view(model, "vjepa2", pixels, name=VJEPA2, layers=[1], summarise=True)
    assert summarised.blocks == (1,) and summarised.stats_blocks == (0, 1)  # block 0: statistics only, maps dropped
    for every, full in zip(summarised.block_stats, view.stats):
        for key in ("spatial", "temporal", "entropy"):
            assert np.allclose(getattr(every, key), getattr(full, key), rtol=2e-3, atol=1e-4), key


def test_dinov2_records_every_frame_with_eager_attention_and_gives_its_fused_attention_back():
    model = tiny_dinov2()
    model.set_attn_implementation("sdpa")  # as Token merging loads it
    pixels = torch.randn(1, 3, 3, 224, 224)
    view = record_view(model, "dinov2", pixels, name=DINOV2)
    assert model.config._attn_implementation == "sdpa"
    assert view.logits is None  # an encoder without a trained head: no prediction
    model.set_attn_implementation("eager")
    with torch.no_grad():
        reference = model(pixel_values=pixels[0], output_attentions=True).attentions
    for layer, expected in zip(view.layers, reference):
        assert layer.kind == "space" and layer.maps.shape == (3, 4, 257, 257)
        assert np.abs(layer.maps.astype(np.float32) - expected.numpy()).max() < 2e-3
    assert view.stats[0].temporal.max() == 0.0  # frames never attend to each other


@pytest.mark.parametrize("kind, shape, grid", [
    ("space", (3, 2, 1 + 16, 1 + 16), TokenGrid(3, 4, 4, tubelet=(1, 14, 14))),  # DINOv2: CLS in the maps only
    ("space", (3, 2, 1 + 16, 1 + 16), TokenGrid(3, 4, 4, tubelet=(1, 16, 16), num_prefix=1)),  # TimeSformer
    ("time", (16, 2, 3, 3), TokenGrid(3, 4, 4, tubelet=(1, 16, 16), num_prefix=1)),
])
def test_per_frame_and_divided_statistics_equal_the_dense_path(kind, shape, grid):
    rng = np.random.default_rng(0)
    maps = rng.random(shape).astype(np.float32) ** 4
    maps /= maps.sum(-1, keepdims=True)
    layer = LayerAttention("x", kind, grid, maps.astype(np.float16))
    stats = layer_stats(layer)
    for head in range(2):
        dense = layer.dense(head)
        spatial, temporal = mean_distances(dense, layer.grid)
        assert stats.spatial[head] == pytest.approx(spatial, rel=1e-4, abs=1e-7)
        assert stats.temporal[head] == pytest.approx(temporal, rel=1e-4, abs=1e-7)
        assert (stats.spatial[head] if kind == "time" else stats.temporal[head]) == 0.0
        assert stats.entropy[head] == pytest.approx(mean_entropy(dense), rel=1e-4)


@pytest.mark.parametrize("head", [None, 1])
@pytest.mark.parametrize("divided", [False, True], ids=["per-frame", "divided"])
def test_per_frame_and_divided_rollouts_equal_the_dense_product(head, divided):
    from lib.methods.attention.rollout import attention_rollout

    rng = np.random.default_rng(1)
    grid = TokenGrid(3, 4, 4, tubelet=(1, 14, 14), num_prefix=1 if divided else 0)
    layers = []
    for k in range(4):  # divided: TimeSformer's order, time then space in every block
        kind, shape = ("time", (16, 2, 3, 3)) if divided and k % 2 == 0 else ("space", (3, 2, 17, 17))
        maps = rng.random(shape).astype(np.float32) ** 3
        layers.append(LayerAttention(f"l{k}", kind, grid, (maps / maps.sum(-1, keepdims=True)).astype(np.float16)))
    expected = torch.eye(grid.num_tokens)
    for layer in layers:  # the dense path: (1 - r) A + r I, rows renormalised, multiplied up
        mixed = 0.5 * torch.from_numpy(layer.dense(head)) + 0.5 * torch.eye(grid.num_tokens)
        expected = (mixed / mixed.sum(-1, keepdim=True)) @ expected
    got = attention_rollout(layers, head=head)
    n = grid.num_tokens
    assert got.shape == (n, n) and np.abs(got - expected.numpy()).max() < 1e-6
    assert np.allclose(got.sum(-1), 1.0, atol=1e-5)
    if not divided:
        assert got[:16, 16:].max() == 0.0  # frames stay apart
    else:  # time layers join the frames; the CLS token, which no divided layer mixes, stays itself
        assert got[1:17, 17:].max() > 0.0 and got[0, 0] == 1.0


def test_dinov2_in_the_tab_reads_eight_frames_and_draws_its_cls_heads(tiny_hub, video):
    result = run_attention(video, model=DINOV2)
    assert result.frames.shape[0] == 8 and result.input_size == 224 and result.window is None
    assert len(result.main.layers) == 2 and result.main.layers[0].maps.shape == (8, 4, 257, 257)
    text = summary(result)
    assert "Prediction" not in text and "image encoder: 8 frames spread over the video" in text
    assert "8 frames x 224x224 px -> patches 14x14 -> a 8x16x16 grid = 2,048 tokens + a CLS token per frame" in text
    image = render_cls(result, layer=1, frame=3)
    assert image.ndim == 3 and image.shape[1] > 4 * result.frames.shape[2]  # mean + 4 heads side by side


def test_vjepa2_in_the_tab_records_a_few_blocks_of_its_window(tiny_hub, video, monkeypatch):
    monkeypatch.setenv(gpu_only.ALLOW_ENV, "1")
    result = run_attention(video, model=VJEPA2)
    view = result.main
    assert view.blocks == (0, 8, 16, 23)  # DEFAULT_BLOCKS: all 24 would be 3.2 GB at full size
    assert view.stats_blocks == tuple(range(24)) and len(view.block_stats) == 24  # the curve covers every block
    assert result.frames.shape[0] == 16 and result.input_size == 256
    assert view.layers[0].grid == TokenGrid(8, 16, 16, tubelet=(2, 16, 16))
    assert view.record_bytes == 4 * 2 * 2048**2 * 2
    assert token_geometry(result) == ("**Tokens:** 16 frames x 256x256 px -> tubelets 2x16x16 -> a 8x16x16 grid = "
                                      "2,048 tokens; each token covers 2 consecutive input frames, so time is 8 steps.")
    assert render_cls(result, layer=0, frame=0) is None  # no CLS token
    notes = " ".join(result.notes)
    assert "Recorded blocks 0, 8, 16, 23" in notes and "16 frames 4 apart at 12 fps" in notes


def test_attention_api_with_each_new_model(api_client, tiny_hub, video):
    """DINOv2 through the served tab; on a CPU the tab does not offer V-JEPA 2 (a client asking for it is refused by
    the dropdown) and says why with the measured seconds. tests/test_hub_rehearsal_app.py serves an app that offers
    it and runs it at full size."""
    import torch
    from gradio_client import handle_file

    import app

    out = api_client.predict(handle_file(str(video)), DINOV2, False, "1", api_name="/attention")
    assert "CLS token per frame" in out[0] and out[14] is not None and out[11]["maximum"] == 7
    dropdown = next(b for b in app.demo.blocks.values()
                    if getattr(b, "label", None) == "Model" and "stpt-tiny-toy" in [c[1] for c in b.choices])
    offered = [value for _, value in dropdown.choices]
    if torch.cuda.is_available():
        assert VJEPA2 in offered
        return
    assert VJEPA2 not in offered and DINOV2 in offered
    assert "vjepa2-vitl-ssv2 needs a GPU: on a 2-core CPU its main action took 131 s" in dropdown.info
    assert "not in the list of choices" in refusal(api_client, "/attention", handle_file(str(video)), VJEPA2, False, "")
