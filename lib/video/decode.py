"""Read videos: probe the header, then decode only the sampled frames with decord, resized.

Memory stays bounded for any video length: decord indexes packets without decoding them, we ask
`get_batch` for a few sampled frames at a time (about 16 MB of full-size frames per call) and
shrink each chunk before decoding the next, so only the small output clip grows.

Memory stays bounded for any geometry too: the header's size is checked first (lib.video.geometry refuses
extreme shapes and frames beyond 8K with a sentence), and a source larger than 1080p is decoded by decord
already scaled to about 1080p (then area-averaged to the output size as usual): decord keeps dozens of
frames of its output size in flight, measured 971 MB RSS for 16 frames of a 4K clip at full size, 133 MB
scaled; 2.5 GB and 381 MB for 8K.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

# Import order no longer matters: decord 0.6.0's bundled FFmpeg 4 broke PyAV's libvpx encoders
# (avcodec_open2 EINVAL) when it loaded first; decord2 3.4.0 (FFmpeg 8) does not (measured: libvpx,
# libvpx-vp9, libx264 and libsvtav1 all encode after `import decord`; tests/test_video.py checks it).
import av
import cv2
import decord
import numpy as np

from lib.errors import UserInputError
from lib.video.checks import StreamFacts, check_file, explain_decode_failure, read_stream_facts
from lib.video.clip import Clip, VideoInfo
from lib.video.geometry import DIRECT_PIXELS, check_geometry
from lib.video.remux import remux_video_stream
from lib.video.sampling import cap_indices, fps_indices, segment_indices, uniform_indices

_CHUNK_BYTES = 16 * 2**20  # full-resolution frames per get_batch call (decord holds ~4x this)
_MIN_STRETCHED_WIDTH = 80  # narrow videos are decoded at least this wide (see _reader_and_size)
_STRETCH_TRIES = 4  # stretched widths tried before giving up
_FALLBACK_FPS = 25.0  # used only when neither decord nor the container knows the rate

decord.logging.set_level(decord.logging.QUIET)  # FFmpeg chatter; decord's own errors still print


def _as_numpy(batch) -> np.ndarray:
    """decord NDArray (or a tensor, if someone switched decord's bridge) -> numpy."""
    return batch.asnumpy() if hasattr(batch, "asnumpy") else np.asarray(batch)


def _displayed_size(path: Path, facts: StreamFacts) -> tuple[int, int]:
    """(height, width) of the frames as shown: the header's size, transposed for a 90/270 degree
    display rotation (read by PyAV from the first decoded frame)."""
    try:
        with av.open(str(path)) as container:
            rotation = int(next(container.decode(video=0)).rotation or 0)
    except Exception:
        rotation = 0
    return (facts.width, facts.height) if rotation % 180 == 90 else (facts.height, facts.width)


def _reader_and_size(path: Path, facts: StreamFacts) -> tuple[decord.VideoReader, tuple[int, int]]:
    """decord reader for `path` and the (height, width) of its frames as displayed.

    decord applies the container's rotation (phone videos), so the displayed size can be the
    header's size transposed: we decode frame 0 to learn it. decord fails in get_batch
    ("DECORDArrayCopyFromTo: The size must exactly match", RGB row padding) for some widths, measured
    on every even width 2..4098 px: decord2 3.4.0 at 2-8, 12, 16, 24, 32, 48, 96 and 144 px (decord
    0.6.0 at 2-8, 12, 16, 24, 48 and 72). Those videos are decoded stretched to an integer multiple
    of their width (>= 80 px; the next multiple if that one fails too; decord resizes after rotating)
    and `_resize` maps them back.
    """
    if facts.height * facts.width > DIRECT_PIXELS:
        return _scaled_reader(path, facts)
    reader = decord.VideoReader(str(path), ctx=decord.cpu(0))
    try:
        first = _as_numpy(reader.get_batch([0]))  # (1, H, W, 3)
        return reader, (int(first.shape[1]), int(first.shape[2]))
    except Exception as exc:
        if "DECORDArrayCopyFromTo" not in str(exc):
            raise
        first_error = exc
    height, width = _displayed_size(path, facts)
    start = max(2, math.ceil(_MIN_STRETCHED_WIDTH / max(1, width)))
    for stretch in range(start, start + _STRETCH_TRIES):
        reader = decord.VideoReader(str(path), ctx=decord.cpu(0), width=width * stretch, height=height)
        try:
            first = _as_numpy(reader.get_batch([0]))
        except Exception as exc:
            if "DECORDArrayCopyFromTo" in str(exc):
                continue
            raise
        if first.shape[1:3] == (height, width * stretch):
            return reader, (height, width)
    raise first_error


def _scaled_size(height: int, width: int) -> tuple[int, int]:
    """(height, width) of about `DIRECT_PIXELS` pixels, aspect kept, both even."""
    scale = math.sqrt(DIRECT_PIXELS / (height * width))
    return max(2, 2 * round(height * scale / 2)), max(2, 2 * round(width * scale / 2))


def _scaled_reader(path: Path, facts: StreamFacts) -> tuple[decord.VideoReader, tuple[int, int]]:
    """A decord reader whose frames come already scaled to about 1080p, and the displayed (height, width)."""
    height, width = _displayed_size(path, facts)
    decoded = _scaled_size(height, width)
    reader = decord.VideoReader(str(path), ctx=decord.cpu(0), width=decoded[1], height=decoded[0])
    first = _as_numpy(reader.get_batch([0]))  # (1, h, w, 3)
    if first.shape[1:3] != decoded:
        raise RuntimeError(f"decord decoded {first.shape[1:3]} instead of the asked {decoded}")
    return reader, (height, width)


def _open_reader(path: Path, facts: StreamFacts) -> tuple[decord.VideoReader, tuple[int, int]]:
    """`_reader_and_size`, remuxing the file when decord cannot read it as is; failures become VideoError."""
    try:
        return _reader_and_size(path, facts)
    except Exception as exc:  # RuntimeError, DECORDError, AssertionError (0 frames), ...
        first_error = exc
    # A streamed recording (browser WebM) or a raw H.264 stream has no duration ("broken metadata"), and
    # decord cannot seek in some MPEG-TS files: copy the packets into an indexed Matroska file and retry.
    # decord keeps the file open, so it can be unlinked at once (POSIX) and nothing is left behind.
    handle, tmp = tempfile.mkstemp(suffix=".mkv", prefix="remux-")
    os.close(handle)
    try:
        return _reader_and_size(remux_video_stream(path, tmp), facts)
    except Exception as exc:
        raise explain_decode_failure(path, facts, first_error) from exc
    finally:
        Path(tmp).unlink(missing_ok=True)


def _fps(reader: decord.VideoReader, facts: StreamFacts) -> float:
    for rate in (reader.get_avg_fps(), facts.rate):
        if rate and math.isfinite(rate) and rate > 0:
            return float(rate)
    return _FALLBACK_FPS


def _open(path: str | Path) -> tuple[decord.VideoReader, VideoInfo, StreamFacts]:
    p = check_file(path)
    facts = read_stream_facts(p)
    check_geometry(facts.height, facts.width, p.name)  # before any frame is decoded
    reader, (height, width) = _open_reader(p, facts)
    info = VideoInfo(path=str(p), num_frames=len(reader), fps=_fps(reader, facts),
                     height=height, width=width)
    return reader, info, facts


def probe_video(path: str | Path) -> VideoInfo:
    """Frame count, fps and displayed size (rotation applied) of a video, from its header and
    packet index; only the first frame is decoded."""
    return _open(path)[1]


def output_size(height: int, width: int, short_side: int | None, max_pixels: int) -> tuple[int, int]:
    """(height, width) after scaling the short side to `short_side` (None keeps the size),
    then shrinking further, aspect kept, until height * width <= max_pixels."""
    scale = 1.0 if short_side is None else short_side / min(height, width)
    if height * width * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (height * width))
        return max(1, math.floor(height * scale)), max(1, math.floor(width * scale))
    return max(1, round(height * scale)), max(1, round(width * scale))


def _resize(frame: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W, 3) uint8 -> (h, w, 3) uint8; area averaging when shrinking (no aliasing)."""
    h, w = size
    if frame.shape[:2] == (h, w):
        return frame
    shrinking = h * w < frame.shape[0] * frame.shape[1]
    return cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def _decode(reader: decord.VideoReader, indices: np.ndarray, size: tuple[int, int],
            src_hw: tuple[int, int], path: Path, facts: StreamFacts) -> np.ndarray:
    """Decode `indices` (N,) in chunks and resize: returns (N, h, w, 3) uint8. Repeated indices
    are decoded once."""
    unique, inverse = np.unique(indices, return_inverse=True)
    out = np.empty((unique.size, size[0], size[1], 3), dtype=np.uint8)
    chunk = max(1, _CHUNK_BYTES // (src_hw[0] * src_hw[1] * 3))
    for start in range(0, unique.size, chunk):
        wanted = unique[start:start + chunk]
        try:
            batch = _as_numpy(reader.get_batch(wanted.tolist()))  # (n, H, W, 3) uint8 RGB
        except Exception as exc:
            raise explain_decode_failure(path, facts, exc) from exc
        for j, frame in enumerate(batch):  # (H, W, 3) uint8 RGB
            out[start + j] = _resize(frame, size)
        del batch
    return out[inverse.reshape(-1)]


def _timestamps(reader: decord.VideoReader, indices: np.ndarray, fps: float) -> np.ndarray:
    """Presentation time (s) of each index from the packet timestamps, else index / fps.

    Timestamps far beyond the video's length (missing ones come back as 9.2e15 s) count as broken."""
    try:
        stamps = np.asarray(reader.get_frame_timestamp(indices.tolist()), dtype=np.float64)[:, 0]
        longest = 2.0 * len(reader) / fps + 1.0
        if (np.all(np.isfinite(stamps)) and np.all(np.diff(stamps) >= 0) and np.all(stamps >= 0)
                and np.all(stamps <= longest)):
            return stamps
    except Exception:
        pass
    return indices.astype(np.float64) / fps


def _sample(total: int, fps: float, num_frames: int | None, target_fps: float | None,
            segments: tuple[int, int] | None, max_frames: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Source indices (N,) and, when sampling by segments, (S, M) positions into them."""
    if max_frames < 1:
        raise UserInputError(f"max_frames must be at least 1, got {max_frames}.")
    if target_fps is not None and segments is not None:
        raise UserInputError("Choose either a sampling rate (fps) or segments, not both.")
    if segments is not None:
        s, m = int(segments[0]), int(segments[1])
        if s < 1 or m < 1:
            raise UserInputError(f"segments must be (num_segments >= 1, frames_per_segment >= 1), got {segments}.")
        s = min(s, max_frames)  # hard cap: fewer frames per segment (then fewer segments) fit max_frames
        m = max(1, min(m, max_frames // s))
        indices = segment_indices(total, s, m).reshape(-1)
        return indices, np.arange(s * m, dtype=np.int64).reshape(s, m)
    if target_fps is not None:
        if not (math.isfinite(target_fps) and target_fps > 0):
            raise UserInputError(f"fps must be a positive number of frames per second, got {target_fps}.")
        return cap_indices(fps_indices(total, fps, target_fps), max_frames), None
    if num_frames is None:
        raise UserInputError("Say how to sample the video: give num_frames, fps or segments.")
    if num_frames < 1:
        raise UserInputError(f"num_frames must be at least 1, got {num_frames}.")
    return uniform_indices(total, min(int(num_frames), max_frames)), None


def load_clip(path: str | Path, *, num_frames: int | None = 16, fps: float | None = None,
              segments: tuple[int, int] | None = None, short_side: int | None = 224,
              max_frames: int = 512, max_pixels: int = 1920 * 1080) -> Clip:
    """Decode sampled, resized frames of a video file.

    Sampling (exactly one is used; fps and segments override num_frames):
      num_frames: that many frames, centred uniform (all frames when the video is shorter).
      fps:        frames at this rate (e.g. 1.0 = one per second).
      segments:   (S, M) LongVLM-style: S consecutive segments of M frames; Clip.segments holds
                  the (S, M) positions into Clip.frames.
    Caps (never rejected, only reduced): at most `max_frames` frames (segments shrink M, then S);
    frames are resized so the short side is `short_side` (None keeps the source size), then shrunk
    until height * width <= max_pixels, aspect ratio kept.
    Returns a Clip with frames (T, h, w, 3) uint8 RGB. Raises VideoError (a UserInputError) for a
    file that cannot be used, and UserInputError for impossible settings.
    """
    reader, info, facts = _open(path)
    p = Path(info.path)
    indices, positions = _sample(info.num_frames, info.fps, num_frames, fps, segments, max_frames)
    if short_side is not None and short_side < 1:
        raise UserInputError(f"short_side must be at least 1 pixel, got {short_side}.")
    size = output_size(info.height, info.width, short_side, max_pixels)
    frames = _decode(reader, indices, size, (info.height, info.width), p, facts)
    return Clip(frames=frames, fps=info.fps, indices=indices.astype(np.int64),
                timestamps=_timestamps(reader, indices, info.fps),
                original_size=(info.height, info.width), duration=info.duration,
                source=str(p), segments=positions)
