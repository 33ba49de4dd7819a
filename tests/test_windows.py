"""Checkpoint windows: trained frames and stride at the video's own frame rate, decoded from the source."""
from __future__ import annotations

import numpy as np
import pytest

from lib.errors import UserInputError
from lib.models import get_spec
from lib.models.spec import ClipSampling
from lib.video import load_clip, load_frames, source_stride, window_frames, window_indices, window_starts
from tests.video_samples import make_video

VIDEOMAE = get_spec("videomae-base-k400").sampling  # 16 x 4 at 30 fps
TIMESFORMER = get_spec("timesformer-base-k400").sampling  # 8 x 32 at 30 fps


def test_window_at_the_trained_rate_is_the_trained_stride():
    assert VIDEOMAE.window_seconds == pytest.approx(2.0)
    np.testing.assert_array_equal(window_indices(VIDEOMAE, 30.0, 300), np.arange(16) * 4)
    np.testing.assert_array_equal(window_indices(TIMESFORMER, 30.0, 300, start=1.0), 30 + np.arange(8) * 32)


def test_stride_scales_to_the_source_fps_and_keeps_the_window_in_seconds():
    assert source_stride(VIDEOMAE, 25.0) == pytest.approx(4 * 25 / 30)
    idx = window_indices(VIDEOMAE, 25.0, 250, start=4.0)
    assert idx[0] == 100 and np.all(np.diff(idx) >= 3) and np.all(np.diff(idx) <= 4)
    assert (idx[-1] - idx[0]) / 25.0 == pytest.approx(VIDEOMAE.window_seconds, abs=1 / 25)
    assert window_frames(VIDEOMAE, 60.0) == 121  # 60 fps: stride 8


def test_late_starts_are_pulled_back_and_short_videos_repeat_the_last_frame():
    idx = window_indices(VIDEOMAE, 30.0, 100, start=9.0)  # would end past frame 99
    assert idx[-1] == 99 and idx[0] == 99 - 60 and np.all(np.diff(idx) == 4)
    short = window_indices(VIDEOMAE, 30.0, 20)
    assert short.shape == (16,) and short.max() == 19 and np.all(np.diff(short) >= 0)
    with pytest.raises(UserInputError):
        window_indices(VIDEOMAE, 0.0, 100)


def test_window_starts_cover_a_long_video():
    starts = window_starts(VIDEOMAE, 30.0, 300)  # windows of 61 frames, next one a stride after the last frame
    np.testing.assert_array_equal(starts, [0, 64, 128, 192])
    assert starts[-1] + window_frames(VIDEOMAE, 30.0) <= 300
    np.testing.assert_array_equal(window_starts(VIDEOMAE, 30.0, 300, count=5), [0, 60, 120, 179, 239])
    assert window_starts(TIMESFORMER, 30.0, 300, count=1).tolist() == [(300 - 225) // 2]
    assert window_starts(VIDEOMAE, 30.0, 40).tolist() == [0]  # shorter than one window
    single = ClipSampling(num_frames=1, frame_stride=1, short_side=224, crop=224, source="test")
    assert window_starts(single, 25.0, 5).tolist() == [0, 1, 2, 3, 4]


def test_sampling_refuses_impossible_numbers():
    with pytest.raises(ValueError):
        ClipSampling(num_frames=0, frame_stride=1, short_side=224, crop=224, source="x")
    with pytest.raises(ValueError):
        ClipSampling(num_frames=8, frame_stride=2, short_side=112, crop=224, source="x")


def test_load_frames_decodes_exact_indices_from_the_source(tmp_path):
    path = tmp_path / "ramp.mp4"
    frames = make_video(path, num_frames=30, height=96, width=160, fps=30.0)
    idx = window_indices(ClipSampling(num_frames=5, frame_stride=4, short_side=64, crop=None, source="t"), 30.0, 30)
    clip = load_frames(path, idx, short_side=64)
    assert clip.frames.shape == (5, 64, 107, 3) and clip.indices.tolist() == idx.tolist()
    assert np.abs(clip.frames[:, 10, 10, 0].astype(int) - frames[idx, 10, 10, 0]).max() <= 3  # the right frames
    full = load_frames(path, [3, 3, 7])  # no resize: source size, repeated index decoded once
    assert full.frames.shape == (3, 96, 160, 3) and np.array_equal(full.frames[0], full.frames[1])
    seen = []
    custom = load_frames(path, [0, 1], transform=lambda f: seen.append(f.shape) or f[:32, :32])
    assert seen == [(96, 160, 3)] * 2 and custom.frames.shape == (2, 32, 32, 3)  # transform gets source frames
    # an analysis copy at 32 px and a model copy at 64 px of the same frames: the model copy is not upscaled
    small = load_clip(path, num_frames=5, short_side=32)
    big = load_frames(path, small.indices, short_side=64)
    assert big.frames.shape[1] == 64 and big.indices.tolist() == small.indices.tolist()
    with pytest.raises(UserInputError):
        load_frames(path, [0, 30])
