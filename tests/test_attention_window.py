"""Pretrained video models in the Attention tab see one window as trained (VideoMAE 16 x 4, TimeSformer 8 x 32),
decoded from the source at the checkpoint's resolution; the result says which window and the start can move."""
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import dataclasses  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from lib.methods.attention import task  # noqa: E402
from lib.methods.attention.clip_window import decode_window, middle_start  # noqa: E402
from lib.models.preprocess import PreprocessConfig  # noqa: E402
from lib.models.registry import get_spec  # noqa: E402
from lib.models.spec import ClipSampling  # noqa: E402
from lib.video import write_mp4  # noqa: E402
from tests.tiny_models import tiny_videomae  # noqa: E402

torch.set_num_threads(2)
FPS = 25
SMALL = ClipSampling(num_frames=4, frame_stride=4, short_side=32, crop=32, source="test: 4 frames 4 apart at 30 fps")
CONFIG = PreprocessConfig(size=32, resize=32, crop=True)


@pytest.fixture(scope="module")
def ten_seconds(tmp_path_factory):
    """10 s at 25 fps, 64x96: frame k has brightness k (mod 250) so decoded frames tell their index."""
    frames = np.zeros((250, 64, 96, 3), np.uint8) + np.arange(250, dtype=np.uint8)[:, None, None, None]
    return write_mp4(frames, tmp_path_factory.mktemp("window") / "ten.mp4", fps=FPS)


def test_catalog_video_models_have_their_trained_sampling():
    videomae, timesformer = get_spec("videomae-base-k400").sampling, get_spec("timesformer-base-k400").sampling
    assert (videomae.num_frames, videomae.frame_stride, videomae.short_side, videomae.crop) == (16, 4, 224, 224)
    assert (timesformer.num_frames, timesformer.frame_stride, timesformer.short_side) == (8, 32, 224)
    assert videomae.window_seconds == pytest.approx(2.0) and timesformer.window_seconds == pytest.approx(7.47, 0.01)


def test_the_window_is_the_middle_by_default_and_moves(ten_seconds):
    spec = dataclasses.replace(get_spec("videomae-base-k400"), sampling=SMALL)
    clip, window = decode_window(ten_seconds, spec, CONFIG)
    stride = 4 * FPS / 30  # 3.33 source frames between samples at 25 fps
    assert np.all(np.diff(clip.indices) == np.floor(np.arange(1, 4) * stride) - np.floor(np.arange(3) * stride))
    assert window.length == pytest.approx(11 / FPS)  # first to last sampled frame, inclusive
    assert window.start == pytest.approx(middle_start(10.0, 11 / FPS), abs=1 / FPS)
    assert clip.frames.shape == (4, 32, 32, 3)  # the processor's short side and crop, from the source
    np.testing.assert_allclose(clip.frames.reshape(4, -1).mean(1), clip.indices, atol=3)  # those very frames
    first, _ = decode_window(ten_seconds, spec, CONFIG, start=0.0)
    assert first.indices[0] == 0
    late, window = decode_window(ten_seconds, spec, CONFIG, start=99.0)  # clamped: the window stays inside
    assert late.indices[-1] <= 249 and window.end <= 10.0 + 1e-9 and window.start == pytest.approx(window.latest_start)


def test_run_attention_on_a_hub_model_reports_its_window(monkeypatch, ten_seconds):
    spec = dataclasses.replace(get_spec("videomae-base-k400"), sampling=SMALL)
    monkeypatch.setattr(task, "get_spec", lambda name: spec)
    monkeypatch.setattr(task, "load_model", lambda name: tiny_videomae("eager"))  # 4 frames of 32 px
    monkeypatch.setattr(task, "spec_preprocess_config", lambda s: CONFIG)
    result = task.run_attention(str(ten_seconds), model="videomae-base-k400", window_start=2.0, layers=[1])
    assert result.window.start == pytest.approx(2.0) and result.window.end == pytest.approx(2.0 + 11 / FPS)
    assert result.source_frames[0] == 50 and result.source_frames[-1] == 60  # 2 s at 25 fps, 11 frames spanned
    assert result.input_size == 32 and result.main.blocks == (1,)
    assert any("window 2.0-2.4 s of the 10.0 s video" in note for note in result.notes)
    middle = task.run_attention(str(ten_seconds), model="videomae-base-k400", layers=[1])
    assert middle.window.start == pytest.approx(middle_start(10.0, 11 / FPS), abs=1 / FPS)


def test_a_video_shorter_than_the_window_is_read_whole(tmp_path):
    path = write_mp4(np.zeros((5, 48, 48, 3), np.uint8), tmp_path / "short.mp4", fps=FPS)
    spec = dataclasses.replace(get_spec("videomae-base-k400"), sampling=SMALL)
    clip, window = decode_window(path, spec, CONFIG)
    assert len(clip.frames) == 4 and clip.indices[-1] == 4 and window.covers_video
    assert "read whole" in window.describe("m")
