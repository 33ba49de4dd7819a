"""The STPT-style detector: shapes, local vs global layers found by the recorder, FLOPs, targets, saving."""
import numpy as np
import pytest
import torch

from lib.hooks import count_model_flops, find_attention_modules, record_attention
from lib.methods.attention.data import (
    MIRROR,
    assign_targets,
    crop_window,
    detect,
    detection_loss,
    mirrored,
    step_labels,
    to_input,
    toy_video,
    toy_window,
)
from lib.methods.attention.detection import Segment
from lib.methods.attention.model import STPT
from lib.models.bundled import save_bundled

torch.set_num_threads(2)


def tiny(local_stages: int = 2) -> STPT:
    """16 frames of 32x32: a (8, 4, 4) stage-1 grid, windows (4, 2, 2) then (8, 2, 2)."""
    torch.manual_seed(0)
    return STPT(num_frames=16, image_size=32, dims=[16, 16, 16], depths=[1, 1, 1], heads=[2, 2, 2],
                windows=[[4, 2, 2], [8, 2, 2]], local_stages=local_stages, pyramid_levels=2).eval()


def test_outputs_and_geometry():
    model = tiny()
    out = model(torch.randn(2, 16, 3, 32, 32))
    assert out.logits.shape == (2, 8 + 4, 9) and out.distances.shape == (2, 12, 2)
    assert torch.all(out.distances >= 0)
    assert out.step_logits.shape == (2, 8, 10)  # per stage-1 time step: 9 actions + background
    assert out.centres.tolist()[:3] == [0.5, 1.5, 2.5] and out.centres.tolist()[8:10] == [1.0, 3.0]
    kinds = [(g.kind, (g.grid.t, g.grid.h, g.grid.w), g.window) for g in model.geometry]
    assert kinds == [("local", (8, 4, 4), (4, 2, 2)), ("local", (8, 2, 2), (8, 2, 2)), ("global", (8, 1, 1), None)]
    assert model.geometry[1].grid.tubelet == (2, 16, 16)


def test_recorder_finds_probes_with_windowed_and_global_maps():
    model = tiny()
    assert len(find_attention_modules(model)) == 3
    with torch.no_grad(), record_attention(model, layers=[0, 2]) as rec:
        model(torch.randn(1, 16, 3, 32, 32))
    assert rec.layer_indices == [0, 2]
    assert rec.maps[0].shape == (8, 2, 16, 16)  # (windows, heads, tokens per window, same)
    assert rec.maps[1].shape == (1, 2, 8, 8)
    torch.testing.assert_close(rec.maps[0].float().sum(-1), torch.ones(8, 2, 16), atol=2e-3, rtol=0)


def test_training_mode_uses_fused_attention_with_the_same_result():
    model = tiny()
    x = torch.randn(1, 16, 3, 32, 32)
    with torch.no_grad():
        eager = model(x).logits
        model.train()
        fused = model(x).logits
    torch.testing.assert_close(eager, fused, atol=1e-5, rtol=1e-4)


def test_local_twin_needs_fewer_flops_with_identical_parameters():
    local, twin = tiny(2), tiny(0)
    assert [p.shape for p in local.parameters()] == [p.shape for p in twin.parameters()]
    x = torch.randn(1, 16, 3, 32, 32)
    assert count_model_flops(local, x).total < count_model_flops(twin, x).total


def test_targets_put_positions_inside_segments_on_one_level():
    model = tiny()
    out = model(torch.randn(1, 16, 3, 32, 32))
    frames_per_step = model.frames_per_step  # 8 source frames per step
    classes, distances, positive = assign_targets([Segment(8, 40, 3)], out.centres, out.levels, frames_per_step, 9)
    assert positive.any() and classes[positive].argmax(-1).eq(3).all()
    starts = out.centres[positive] - distances[positive, 0]
    ends = out.centres[positive] + distances[positive, 1]
    torch.testing.assert_close(starts, torch.full_like(starts, 1.0))
    torch.testing.assert_close(ends, torch.full_like(ends, 5.0))
    assert not classes[~positive].any()
    assert step_labels([Segment(8, 40, 3)], 8, frames_per_step, 9).tolist() == [9, 3, 3, 3, 3, 9, 9, 9]
    loss = detection_loss(out, [[Segment(8, 40, 3)]], frames_per_step, 9)
    loss.backward()
    assert torch.isfinite(loss) and model.classify.weight.grad is not None


def test_toy_windows_crop_and_mirror_segments():
    video = toy_video(5, num_frames=40, frame_stride=4, size=32)
    assert video.frames.shape == (40, 32, 32, 3) and video.segments
    window = crop_window(video, 8, 32)
    for seg in window.segments:
        assert 0 <= seg.start < seg.end <= 32 * 4 and seg.end - seg.start >= 16
    flipped = mirrored(window)
    assert np.array_equal(flipped.frames[:, :, 0], window.frames[:, :, -1])
    assert [MIRROR.get(s.label, s.label) for s in window.segments] == [s.label for s in flipped.segments]
    assert toy_window(5, num_frames=16, frame_stride=4, size=32).frames.shape == (16, 32, 32, 3)


def test_detect_returns_segments_inside_the_window_and_save_round_trip(tmp_path):
    model = tiny()
    frames = toy_window(3, num_frames=16, frame_stride=4, size=32).frames
    dets = detect(model, frames, score_threshold=0.0)
    assert dets and all(d.end > d.start for d in dets)
    assert [d.score for d in dets] == sorted((d.score for d in dets), reverse=True)
    save_bundled(model, tmp_path)
    again = STPT.from_pretrained(tmp_path, strict=True).eval()
    x = to_input(frames, 32)[None]
    with torch.no_grad():
        torch.testing.assert_close(again(x).logits, model(x).logits)
    assert again.local_stages == 2 and again.geometry[0].window == (4, 2, 2)


@pytest.mark.parametrize("name", ["stpt-tiny-toy", "stpt-global-tiny-toy"])
def test_bundled_weights_load(name):
    from lib.models.registry import MODELS_DIR

    folder = MODELS_DIR / name
    model = STPT.from_pretrained(folder, strict=True)
    assert (model.local_stages > 0) == (name == "stpt-tiny-toy")
    assert sum(p.numel() for p in model.parameters()) * 4 < 5e6  # a few MB


def test_motion_channels_feed_frame_differences():
    torch.manual_seed(0)
    model = STPT(num_frames=16, image_size=32, dims=[16, 16, 16], depths=[1, 1, 1], heads=[2, 2, 2],
                 windows=[[4, 2, 2], [8, 2, 2]], pyramid_levels=2, motion_channels=True).eval()
    assert model.embed.in_channels == 6
    still = torch.randn(1, 1, 3, 32, 32).repeat(1, 16, 1, 1, 1)  # a still clip: every difference is zero
    with torch.no_grad():
        features = model.features(still)
        model.embed.weight[:, 3:] = 0.0  # without the difference channels the still clip gives the same result
        assert torch.allclose(model.features(still), features)
