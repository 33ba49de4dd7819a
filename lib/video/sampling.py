"""Which frames to take from a video: pure index arithmetic, no decoding.

Every function returns int64 source-frame indices in [0, total), sorted ascending.
"""
from __future__ import annotations

import numpy as np


def _check_total(total: int) -> int:
    total = int(total)
    if total < 0:
        raise ValueError(f"total must be >= 0 frames, got {total}")
    return total


def _bin_middles(total: int, bins: int) -> np.ndarray:
    """Middle frame of each of `bins` equal bins over [0, total): floor((i + 0.5) * total / bins).

    Returns (bins,) int64. Strictly increasing when bins <= total (bin width >= 1 frame).
    """
    centres = (np.arange(bins, dtype=np.float64) + 0.5) * (total / bins)
    return np.minimum(np.floor(centres).astype(np.int64), total - 1)


def uniform_indices(total: int, count: int) -> np.ndarray:
    """`count` frames spread evenly over a video of `total` frames, centred in equal bins.

    Returns (min(count, total),) int64, strictly increasing, no duplicates. When count >= total
    every frame is returned once (we never repeat frames to pad). total == 0 gives an empty array.
    """
    total = _check_total(total)
    count = int(count)
    if count <= 0:
        raise ValueError(f"count must be >= 1, got {count}")
    if count >= total:
        return np.arange(total, dtype=np.int64)
    return _bin_middles(total, count)


def fps_indices(total: int, source_fps: float, target_fps: float) -> np.ndarray:
    """Frames at a fixed rate `target_fps` from a video of `total` frames at `source_fps`.

    Takes the frame shown at times 0, 1/target_fps, 2/target_fps, ... (the frame whose start time
    is the latest one not after each sample time). A target rate at or above the source rate returns
    every frame (no duplicates). Returns (K,) int64 strictly increasing, K ~= total * target / source.
    """
    total = _check_total(total)
    source_fps, target_fps = float(source_fps), float(target_fps)
    if not (np.isfinite(source_fps) and source_fps > 0):
        raise ValueError(f"source_fps must be a positive number, got {source_fps}")
    if not (np.isfinite(target_fps) and target_fps > 0):
        raise ValueError(f"target_fps must be a positive number, got {target_fps}")
    if target_fps >= source_fps:
        return np.arange(total, dtype=np.int64)
    step = source_fps / target_fps  # > 1 source frames per sample
    count = int(np.ceil(total / step - 1e-9))
    # The small epsilon keeps k * step from landing just below an integer through rounding error.
    return np.floor(np.arange(count, dtype=np.float64) * step + 1e-9).astype(np.int64)


def segment_indices(total: int, num_segments: int, frames_per_segment: int) -> np.ndarray:
    """LongVLM-style sampling: S consecutive segments of M frames each.

    The video is split into S*M equal bins and the middle frame of each bin is taken, so segment s
    holds bins s*M .. s*M+M-1 (consecutive in time). Returns (S, M) int64, non-decreasing in
    row-major order; strictly increasing when total >= S*M, otherwise neighbouring bins share a
    frame (the shape is kept because segment-wise models need exactly S x M frames).
    """
    total = _check_total(total)
    s, m = int(num_segments), int(frames_per_segment)
    if s <= 0 or m <= 0:
        raise ValueError(f"num_segments and frames_per_segment must be >= 1, got {s} and {m}")
    if total == 0:
        raise ValueError("cannot sample segments from a video with 0 frames")
    return _bin_middles(total, s * m).reshape(s, m)  # (S, M)


def cap_indices(indices: np.ndarray, max_frames: int) -> np.ndarray:
    """Keep at most `max_frames` of `indices`, picked uniformly (centred) across the array.

    indices: (N,) any integer array. Returns (min(N, max_frames),) int64 in the same order.
    """
    indices = np.asarray(indices, dtype=np.int64).reshape(-1)
    max_frames = int(max_frames)
    if max_frames <= 0:
        raise ValueError(f"max_frames must be >= 1, got {max_frames}")
    if indices.size <= max_frames:
        return indices
    return indices[uniform_indices(indices.size, max_frames)]
