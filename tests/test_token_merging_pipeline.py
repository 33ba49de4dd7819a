"""FrameViT with ToMe inside, the CLIP hub path, the long-video pipeline, its renders and bad input."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest
import torch

from lib.errors import UserInputError
from lib.methods.token_merging import render, render_tome_groups, run_tome_encoder
from lib.methods.token_merging.features import encode_frames
from lib.methods.token_merging.model import FrameViT
from lib.methods.token_merging.segments import merge_segment
from lib.methods.token_merging.task import run_token_merging
from lib.models import get_spec, load_from, save_bundled
from lib.models.precision import PRECISION_ENV
from lib.video import Clip, write_mp4


@pytest.fixture(scope="module")
def tiny_vit() -> FrameViT:
    torch.manual_seed(0)
    return FrameViT(image_size=32, patch_size=8, dim=16, depth=3, heads=2).eval()


def _clip(num_frames: int = 12, seed: int = 0) -> Clip:
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 255, (num_frames, 40, 48, 3), dtype=np.uint8)
    frames[num_frames // 2:] //= 4  # a scene change half way
    return Clip.from_frames(frames, fps=5.0)


def test_tome_in_encoder_counts_sizes_and_cls(tiny_vit):
    x = torch.randn(2, 3, 32, 32)
    out = tiny_vit.encode(x, r=[3, 2, 1])
    assert out.tokens.shape == (2, 1 + 16 - 6, 16)
    assert torch.allclose(out.sizes.sum(1), torch.full((2,), 17.0))
    assert torch.equal(out.sizes[:, 0], torch.ones(2))  # CLS never merged
    assert out.assignment.shape == (2, 16) and int(out.assignment.max()) < 10
    assert torch.equal(torch.bincount(out.assignment[0], minlength=10).float(), out.sizes[0, 1:])
    heads = tiny_vit(x, r=2)
    assert heads["seg_logits"].shape == (2, 16, 7) and heads["class_logits"].shape == (2, 7)


def test_r_zero_is_the_plain_vit_and_save_load_round_trip(tiny_vit, tmp_path):
    x = torch.randn(1, 3, 32, 32)
    plain = tiny_vit.encode(x).tokens
    assert torch.equal(tiny_vit.encode(x, r=0).tokens, plain)
    save_bundled(tiny_vit, tmp_path / "fv")
    loaded = load_from(get_spec("frame-vit-toy"), tmp_path / "fv")
    assert torch.allclose(loaded.encode(x).tokens, plain, atol=1e-6)


def test_frame_features_are_penultimate_patches(tiny_vit):
    frames = _clip(3).frames
    feats = encode_frames(tiny_vit, frames)
    assert feats.patches.shape == (3, 16, 16) and feats.keys.shape == (3, 16, 16)
    assert feats.cls_states.shape == (3, 4, 16) and feats.grid == (4, 4)


@pytest.mark.slow
def test_clip_hub_path_with_tiny_random_tower(tmp_path, monkeypatch):
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    monkeypatch.setenv(PRECISION_ENV, "float32")  # compared with a float32 forward to 1e-5 (bf16: test_precision.py)

    config = CLIPVisionConfig(hidden_size=32, intermediate_size=37, num_hidden_layers=3, num_attention_heads=4,
                              image_size=32, patch_size=8, projection_dim=16)
    torch.manual_seed(0)
    CLIPVisionModelWithProjection(config).save_pretrained(tmp_path / "clip")
    model = load_from(get_spec("clip-vit-b16"), tmp_path / "clip")
    clip = _clip(4)
    feats = encode_frames(model, clip.frames)
    assert feats.patches.shape == (4, 16, 32) and feats.cls_states.shape == (4, 4, 32)
    from lib.models.preprocess import CLIP_MEAN, CLIP_STD, video_to_tensor

    pixels = video_to_tensor(clip.frames, size=32, mean=CLIP_MEAN, std=CLIP_STD, crop=False)
    with torch.no_grad():
        ref = model.vision_model(pixel_values=pixels, output_hidden_states=True).hidden_states
    assert torch.allclose(feats.patches, ref[-2][:, 1:], atol=1e-5)  # penultimate layer, CLS dropped
    assert torch.allclose(feats.cls_states[:, -1], ref[-1][:, 0], atol=1e-5)
    result = run_token_merging(clip, model=model, num_frames=4, num_segments=2, tokens_per_segment=5, num_global=2)
    assert result.sequence.shape == (2 + 2 * 5, 32)


@pytest.mark.parametrize("metric", ["pseudo_heads", "keys"])
def test_pipeline_sequence_and_segment_order(tiny_vit, metric):
    clip = _clip(12)
    result = run_token_merging(clip, model=tiny_vit, num_frames=12, num_segments=3, tokens_per_segment=6,
                               num_global=2, metric=metric)
    assert result.raw_tokens == 12 * 16 and result.merged_tokens == 2 + 3 * 6
    assert np.allclose(result.sequence[:2], result.global_tokens)
    for s, seg in enumerate(result.segments):  # segments in temporal order, each one's tokens in place
        assert np.allclose(result.sequence[2 + 6 * s: 2 + 6 * (s + 1)], seg.tokens)
        assert seg.sizes.sum() == 4 * 16
    assert np.all(np.diff(result.timestamps) > 0)
    budgets = {b.name: b.tokens for b in result.budgets}
    assert budgets["LongVLM"] == 20 and budgets["raw tokens"] == 192
    assert result.similarity.shape == (3, 3)


def test_segments_encoded_together_merge_their_own_frames(tiny_vit):
    # 12 segments of 2 frames are encoded 8 segments (16 frames) per forward; each segment's tokens must still be
    # the merge of its own 2 frames, as when that segment is encoded alone
    clip = _clip(24)
    result = run_token_merging(clip, model=tiny_vit, num_frames=24, num_segments=12, tokens_per_segment=5,
                               num_global=2)
    for s in (0, 7, 8, 11):  # both sides of the group boundary, and the last, shorter group
        alone = encode_frames(tiny_vit, result.frames[2 * s:2 * s + 2])
        expected = merge_segment(alone.patches, 5, metric="pseudo_heads", keys=alone.keys)
        assert np.allclose(result.segments[s].tokens, expected.tokens, atol=1e-5)
        assert np.array_equal(result.segments[s].assignment, expected.assignment)


def test_pipeline_on_a_video_file(tiny_vit, tmp_path):
    path = tmp_path / "v.mp4"
    write_mp4(_clip(30).frames, path, fps=10)
    result = run_token_merging(str(path), model=tiny_vit, num_frames=10, num_segments=5, tokens_per_segment=4)
    assert result.frames.shape[0] == 10 and np.all(np.diff(result.timestamps) > 0)


@pytest.mark.parametrize("kwargs,words", [
    (dict(num_frames=4, num_segments=6), "More segments"),
    (dict(num_frames=4, num_segments=2, tokens_per_segment=100), "outside 1..32"),
    (dict(metric="cosine"), "Unknown similarity metric"),
])
def test_bad_settings_say_what_to_do(tiny_vit, kwargs, words):
    with pytest.raises(UserInputError, match=words):
        run_token_merging(_clip(12), model=tiny_vit, **kwargs)


def test_one_frame_video_is_refused(tiny_vit, tmp_path):
    path = tmp_path / "one.mp4"
    write_mp4(_clip(1).frames, path, fps=10)
    with pytest.raises(UserInputError, match="only one frame"):
        run_token_merging(str(path), model=tiny_vit, num_frames=4, num_segments=2)


def test_renders(tiny_vit):
    result = run_token_merging(_clip(12), model=tiny_vit, num_frames=12, num_segments=3, tokens_per_segment=6)
    fig = render.render_timeline(result, 1, 2)
    bars = fig.data[0]
    assert isinstance(fig, go.Figure) and len(bars.base) == 18
    assert sum(1 for w in bars.marker.line.width if w) == 1  # exactly the picked token is outlined
    sources = render.render_sources(result, 1, 2)
    groups_first = render.render_groups(result, 0, 0)
    groups_last = render.render_groups(result, 0, 99)
    assert sources.dtype == np.uint8 and sources.ndim == 3
    assert groups_first.shape == groups_last.shape and not np.array_equal(groups_first, groups_last)
    assert len(render.render_merge_steps(result, 0, 1).data) == 2
    rows = render.budget_rows(result)
    assert [row[1] for row in rows] == [b.tokens for b in result.budgets]
    assert [row[3] for row in rows] == [round(b.tokens * 60 / result.duration) for b in result.budgets]
    assert len(rows[0]) == len(render.BUDGET_HEADERS)
    assert 0 < result.merge_error < 1 and 0 < result.pooling_error <= 1 and "Merge fidelity" in result.summary()
    assert render.render_similarity(result).data[0].z.shape == (3, 3)


def test_tome_encoder_task(tiny_vit):
    result = run_tome_encoder(_clip(4), r=3, model=tiny_vit, repeats=1)
    assert result.tokens_per_block == (17, 14, 11, 8)
    assert result.gflops_tome < result.gflops_plain
    assert result.assignment.shape == (4, 16) and result.assignment.max() < 7
    picture = render_tome_groups(result, height=32)
    assert picture.dtype == np.uint8 and picture.shape[0] == 32
    with pytest.raises(UserInputError):
        run_tome_encoder(_clip(4), r=-1, model=tiny_vit)


def test_training_losses_and_held_out_report(tiny_vit):
    from lib.methods.token_merging.data import SEEDS, make_frames
    from lib.methods.token_merging.training import frame_vit_losses, held_out_report

    data = make_frames(SEEDS.held_out(2), size=32, patch=8, photo_every=0)
    losses = list(frame_vit_losses(tiny_vit, data, np.random.default_rng(0), steps=2, batch=3))
    assert len(losses) == 2
    for loss, parts in losses:
        assert loss.ndim == 0 and torch.isfinite(loss) and set(parts) == {"class", "seg", "colour"}
    lines = held_out_report(tiny_vit, data, r=2)  # leaves the shared model in eval mode again
    assert "seeds 10000000+" in lines[0] and "ToMe r=2" in lines[1]
    assert SEEDS.train(3) == [0, 1, 2]
