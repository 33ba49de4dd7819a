"""Clip windows as a checkpoint was trained on them, and decoding exactly those frames from the source.

    stride = source_stride(sampling, fps)                 frames between samples at this video's rate
    idx = window_indices(sampling, fps, total, start_s)  (num_frames,) source indices of one window
    starts = window_starts(sampling, fps, total)          (K,) start frames of the windows a video holds
    clip = load_frames(path, idx, short_side=224)         those frames, resized from the source

`sampling` is a lib.models.spec.ClipSampling (VideoMAE K400: 16 frames x stride 4 at 30 fps = a 2 s window).
A checkpoint trained at 30 fps with stride 4 sees 4 / 30 s between frames; on a 25 fps video that is a
stride of 3.33 source frames, so sample times are k * stride and each takes the frame shown then (floor).
A video shorter than one window repeats its last frame (PySlowFast's temporal sampling clamps the same way),
so the frames keep the trained spacing in time.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lib.errors import UserInputError
from lib.video import decode
from lib.video.clip import Clip


def source_stride(sampling, fps: float) -> float:
    """Source frames between two sampled frames: frame_stride * fps / trained_fps (>= 1 not enforced: a
    video slower than the trained rate gets repeated frames rather than a longer window)."""
    fps = float(fps)
    if not (math.isfinite(fps) and fps > 0):
        raise UserInputError(f"The video's frame rate must be a positive number, got {fps}.")
    return sampling.frame_stride * fps / sampling.trained_fps


def window_frames(sampling, fps: float) -> int:
    """Source frames one window spans, first to last sampled frame inclusive."""
    return int(math.floor((sampling.num_frames - 1) * source_stride(sampling, fps) + 1e-9)) + 1


def window_indices(sampling, fps: float, total: int, start: float = 0.0) -> np.ndarray:
    """(num_frames,) int64 source indices of the window starting at `start` seconds.

    The start is moved back when the window would run past the end, so every window is full length when
    the video is long enough; a shorter video repeats its last frame. Non-decreasing; strictly increasing
    when the source stride is >= 1 frame and the window fits.
    """
    total = int(total)
    if total < 1:
        raise UserInputError("The video has no frames.")
    span = window_frames(sampling, fps)
    first = int(round(max(0.0, float(start)) * float(fps)))
    first = max(0, min(first, total - span))
    steps = np.arange(sampling.num_frames, dtype=np.float64) * source_stride(sampling, fps)
    return np.minimum(first + np.floor(steps + 1e-9).astype(np.int64), total - 1)


def window_starts(sampling, fps: float, total: int, count: int | None = None) -> np.ndarray:
    """(K,) int64 start frames of windows over a `total`-frame video.

    count None: consecutive, non-overlapping windows from frame 0 (the last one ends at or before the end);
    count K: K windows spread evenly from the first to the last possible start (the test protocols' "5
    clips" of VideoMAE, 1 of TimeSformer: the centre). A video no longer than one window has the single start 0.
    """
    total = int(total)
    span = window_frames(sampling, fps)
    last = max(0, total - span)
    if count is not None:
        if int(count) < 1:
            raise UserInputError(f"Ask for at least one window, got {count}.")
        if int(count) == 1:
            return np.array([last // 2], dtype=np.int64)
        return np.unique(np.round(np.linspace(0, last, int(count))).astype(np.int64))
    hop = span + int(round(source_stride(sampling, fps))) - 1 if sampling.num_frames > 1 else 1
    return np.arange(0, last + 1, max(1, hop), dtype=np.int64)


def load_frames(path: str | Path, indices: np.ndarray, *, short_side: int | None = None,
                transform: Callable[[np.ndarray], np.ndarray] | None = None,
                max_pixels: int = 1920 * 1080) -> Clip:
    """Decode exactly `indices` (N,) of a video from the source file, a few at a time.

    Each full-resolution frame (H, W, 3) uint8 is either passed to `transform` (e.g. a checkpoint's own
    resize and crop: `lambda f: resize_frames(f[None], config)[0]`), or scaled so its short side is
    `short_side` (area averaging when shrinking, as load_clip), or kept (both None, capped at max_pixels).
    Repeated indices are decoded once. Returns a Clip (frames (N, h, w, 3) uint8, indices, timestamps).
    Raises VideoError (a UserInputError) for a file that cannot be read or indices outside the video.
    """
    reader, info, facts = decode._open(path)
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    if indices.size == 0 or indices.min() < 0 or indices.max() >= info.num_frames:
        shown = f"{indices.min()}..{indices.max()}" if indices.size else "(none)"
        raise UserInputError(f"Frames {shown} are not all in this {info.num_frames}-frame video.")
    size = decode.output_size(info.height, info.width, short_side, max_pixels)
    resize = transform or (lambda frame: decode._resize(frame, size))
    unique, inverse = np.unique(indices, return_inverse=True)
    chunk = max(1, decode._CHUNK_BYTES // (info.height * info.width * 3))
    parts: list[np.ndarray] = []
    for start in range(0, unique.size, chunk):
        try:
            batch = decode._as_numpy(reader.get_batch(unique[start:start + chunk].tolist()))  # (n, H, W, 3)
        except Exception as exc:
            raise decode.explain_decode_failure(Path(info.path), facts, exc) from exc
        parts.extend(resize(frame) for frame in batch)
        del batch
    frames = np.stack(parts)[inverse.reshape(-1)]
    return Clip(frames=np.ascontiguousarray(frames, dtype=np.uint8), fps=info.fps, indices=indices,
                timestamps=decode._timestamps(reader, indices, info.fps), original_size=(info.height, info.width),
                duration=info.duration, source=info.path)
