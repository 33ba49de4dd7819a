"""Geometry is checked from the header before decoding; large sources decode scaled; encoders never see odd sizes."""
from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from lib.video import VideoError, load_clip, probe_video
from lib.video.geometry import DECODE_BUDGET_BYTES, MAX_ASPECT, check_geometry, decode_cost
from lib.video.write import MAX_ENCODED_SIDE, write_mp4


def _h264(path, height: int, width: int, frames: int = 3, fps: int = 25) -> str:
    """A small H.264 file of (height, width) blocks that move right one block per frame."""
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    base = base.repeat(8, 0).repeat(8, 1)[:height, :width]
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=Fraction(fps))
        stream.height, stream.width, stream.pix_fmt = height, width, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "30"}
        for t in range(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(np.roll(base, 8 * t, axis=1)), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return str(path)


@pytest.mark.parametrize("height, width, words", [(16, 4000, "wider than tall"), (4000, 16, "taller than wide"),
                                                  (8192, 8192, "8K"), (9000, 4000, "8K"), (0, 640, "impossible")])
def test_refused_geometries_get_a_sentence(height, width, words):
    with pytest.raises(VideoError, match=words) as caught:
        check_geometry(height, width, "clip.mp4")
    assert "'clip.mp4'" in str(caught.value) and str(caught.value).endswith(".")


@pytest.mark.parametrize("height, width", [(2, 2), (16, 128), (1080, 1920), (1920, 1080), (4320, 7680)])
def test_usable_geometries_pass_within_the_budget(height, width):
    cost = check_geometry(height, width, "clip.mp4")
    assert cost.aspect <= MAX_ASPECT and cost.peak_bytes <= DECODE_BUDGET_BYTES
    assert cost.frame_bytes == height * width * 3


def test_cost_grows_with_the_frame():
    peaks = [decode_cost(h, w).peak_bytes for h, w in [(360, 640), (1080, 1920), (2160, 3840), (4320, 7680)]]
    assert peaks == sorted(peaks) and len(set(peaks)) == 4


def test_extreme_aspect_file_is_refused_before_decoding(tmp_path):
    path = _h264(tmp_path / "strip.mp4", 16, 4000)
    with pytest.raises(VideoError, match="250 times wider than tall"):
        load_clip(path, num_frames=4)
    with pytest.raises(VideoError, match="250 times"):
        probe_video(path)


def test_source_above_1080p_decodes_scaled_like_full_size(tmp_path):
    """A 2560x1440 source goes through decord's scaled path; frames match an area-averaged full decode."""
    path = _h264(tmp_path / "qhd.mp4", 1440, 2560, frames=2)
    clip = load_clip(path, num_frames=2, short_side=144)
    assert clip.frames.shape == (2, 144, 256, 3) and clip.original_size == (1440, 2560)
    import cv2

    with av.open(path) as container:
        full = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    reference = np.stack([cv2.resize(f, (256, 144), interpolation=cv2.INTER_AREA) for f in full])
    diff = np.abs(clip.frames.astype(int) - reference.astype(int)).mean()
    assert diff < 6.0, diff  # same picture; only the two-step scaling differs


@pytest.mark.parametrize("height, width", [(16, 16386), (92, 22768), (20000, 20)])
def test_mp4_writer_shrinks_frames_libx264_cannot_open(tmp_path, height, width):
    path = write_mp4(np.full((2, height, width, 3), 128, np.uint8), tmp_path / "wide.mp4", preset="ultrafast")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert max(stream.width, stream.height) <= MAX_ENCODED_SIDE
        assert abs(stream.width / stream.height - width / height) / (width / height) < 0.2
        assert sum(1 for _ in container.decode(stream)) == 2
