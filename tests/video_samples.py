"""Sample files for video tests: small good videos with known content, and every kind of bad file."""
from __future__ import annotations

import io
from pathlib import Path

import av
import cv2
import numpy as np
from PIL import Image

from lib.video import Mp4Writer, write_mp4


def smooth_frames(height: int, width: int, seed: int = 0) -> np.ndarray:
    """(2, H, W, 3) uint8 smooth random frames (a coarse random image upsampled): preprocessing parity inputs."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (2, max(2, height // 8), max(2, width // 8), 3), dtype=np.uint8)
    return np.stack([cv2.resize(c, (width, height), interpolation=cv2.INTER_CUBIC) for c in coarse])


def ramp_frames(num_frames: int = 20, height: int = 48, width: int = 64) -> np.ndarray:
    """(T, H, W, 3) uint8 frames that are easy to check after lossy compression: each frame is a
    flat colour whose brightness encodes its index (channel 0 = 2 * t mod 256, unique for
    t < 128), with a smooth horizontal ramp in channel 1 and a constant channel 2."""
    t = np.arange(num_frames, dtype=np.int64)[:, None, None]
    ramp = np.linspace(0, 255, width)[None, None, :]
    frames = np.empty((num_frames, height, width, 3), dtype=np.uint8)
    frames[..., 0] = np.broadcast_to((2 * t) % 256, (num_frames, height, width))
    frames[..., 1] = np.broadcast_to(ramp, (num_frames, height, width)).round()
    frames[..., 2] = 128
    return frames


def make_video(path: Path, num_frames: int = 20, height: int = 48, width: int = 64,
               fps: float = 10.0, keyframe_interval: int | None = None) -> np.ndarray:
    """Write `ramp_frames` as a near-lossless H.264 MP4 at `path`; returns the frames written."""
    frames = ramp_frames(num_frames, height, width)
    write_mp4(frames, path, fps=fps, crf=10, keyframe_interval=keyframe_interval)
    return frames


def make_empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def make_image(path: Path, fmt: str = "PNG") -> Path:
    """A still image (PNG, JPEG, GIF, ...) saved under whatever name `path` has (e.g. .mp4)."""
    Image.fromarray(ramp_frames(1)[0]).save(path, format=fmt)
    return path


def make_random_bytes(path: Path, size: int = 4096, seed: int = 0) -> Path:
    path.write_bytes(np.random.default_rng(seed).bytes(size))
    return path


def make_text(path: Path) -> Path:
    path.write_text("This is a text file, not a video.\n" * 40)
    return path


def make_truncated_header(path: Path, good: Path) -> Path:
    """The first 64 bytes of a good MP4: the file type box and the start of the index."""
    path.write_bytes(good.read_bytes()[:64])
    return path


def make_garbage_after_header(path: Path, good: Path, seed: int = 0) -> Path:
    """A valid 'ftyp' box followed by random bytes where the index and frames should be."""
    data = good.read_bytes()
    ftyp_size = int.from_bytes(data[:4], "big")
    path.write_bytes(data[:ftyp_size] + np.random.default_rng(seed).bytes(4096))
    return path


def make_truncated_data(path: Path, good: Path) -> Path:
    """A good MP4 (index at the front) cut off half way through its frame data ('mdat')."""
    data = good.read_bytes()
    at = data.find(b"mdat")
    size = int.from_bytes(data[at - 4:at], "big")
    path.write_bytes(data[: at + size // 2])
    return path


def make_zeroed_frames(path: Path, good: Path) -> Path:
    """A good MP4 whose frame data ('mdat' payload) is all zeros: the index lists frames, none decodes."""
    data = bytearray(good.read_bytes())
    at = data.find(b"mdat")
    size = int.from_bytes(data[at - 4:at], "big")
    data[at + 4:at - 4 + size] = bytes(size - 8)
    path.write_bytes(bytes(data))
    return path


def make_unknown_codec(path: Path, good: Path) -> Path:
    """A good H.264 MP4 whose sample entry says 'zzzz' instead of 'avc1': a codec no FFmpeg knows."""
    data = bytearray(good.read_bytes())
    at = data.index(b"avc1", data.index(b"stsd"))
    data[at:at + 4] = b"zzzz"
    path.write_bytes(bytes(data))
    return path


def make_av1(path: Path, num_frames: int = 3) -> np.ndarray:
    """An AV1 MP4 of `ramp_frames` (SVT-AV1 through PyAV, near lossless); returns the frames written.
    decord 0.6.0's bundled FFmpeg 4.1 had no AV1 decoder; decord2's FFmpeg 8 has (dav1d)."""
    frames = ramp_frames(num_frames, 64, 64)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libsvtav1", rate=10, options={"crf": "10"})
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")))
        container.mux(stream.encode())
    return frames


def make_audio_only(path: Path) -> Path:
    """An M4A with a short silent AAC track and no video."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        for i in range(8):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = 16000, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def make_rotated_video(path: Path, num_frames: int = 3, height: int = 32, width: int = 64) -> Path:
    """A phone-style MP4: frames stored (H, W) with a white stripe in the left 8 columns, tagged to
    be shown rotated 90 degrees counter-clockwise, i.e. as (W, H) with the stripe at the bottom."""
    frame = np.zeros((height, width, 3), np.uint8)
    frame[:, :8] = 255
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.set_display_rotation(90)
        for _ in range(num_frames):
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")))
        container.mux(stream.encode())
    return path


class _NoSeek(io.RawIOBase):
    """A write-only file that cannot seek, like the stream a browser's MediaRecorder produces."""

    def __init__(self, raw) -> None:
        self._raw = raw

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data) -> int:
        return self._raw.write(data)


def make_streamed_webm(path: Path, num_frames: int = 30, height: int = 48, width: int = 64) -> np.ndarray:
    """A VP8 WebM written as a stream (no duration, no index), as browser webcam recordings are.
    Returns the `ramp_frames` encoded."""
    frames = ramp_frames(num_frames, height, width)
    with path.open("wb") as raw, av.open(_NoSeek(raw), "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(format="yuv420p")))
        container.mux(stream.encode())
    return frames


def make_long_video(path: Path, seconds: int = 3600, fps: float = 1.0, height: int = 1080,
                    width: int = 1920, keyframe_interval: int = 10) -> Path:
    """A cheap stand-in for an hour of 1080p: low fps, mostly static textured background with a
    moving square, x264 ultrafast at low quality. `seconds * fps` frames are written one at a time."""
    rng = np.random.default_rng(0)
    # Coarse noise blown up 16x: texture that compresses well but is not a flat colour.
    coarse = rng.integers(0, 256, (height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    background = np.repeat(np.repeat(coarse, 16, axis=0), 16, axis=1)[:height, :width]
    frame = background.copy()
    side = height // 8
    with Mp4Writer(path, fps=fps, crf=40, preset="ultrafast", keyframe_interval=keyframe_interval) as writer:
        for t in range(int(seconds * fps)):
            y = (t * 7) % (height - side)
            x = (t * 13) % (width - side)
            frame[y:y + side, x:x + side] = (255, (t * 5) % 256, 0)
            writer.write(frame)
            frame[y:y + side, x:x + side] = background[y:y + side, x:x + side]  # undo the square
    return path

