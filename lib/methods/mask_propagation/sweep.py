"""The cost/accuracy sweep: every (flow method, key interval k) on one clip, measured side by side.

Segmentations of all frames are computed once by the caller and reused, so the sweep only re-runs the
flows. FLOPs are counted with torch's FlopCounterMode (DIS runs in OpenCV and counts 0, see FlowMethod).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lib.methods.mask_propagation.metrics import confusion, iou_per_class
from lib.methods.mask_propagation.motion import FlowMethod
from lib.methods.mask_propagation.propagate import propagate
from lib.methods.mask_propagation.segmentors import Segmentation

SWEEP_KS: tuple[int, ...] = (1, 2, 3, 5, 8, 10)


@dataclass(frozen=True)
class SweepPoint:
    """One (method, k) on one clip (or summed over clips with `merge_points`).

    confusion: (K, K) counts against the reference; flops / seconds / frames: totals over the frames.
    """

    method: str
    k: int
    confusion: np.ndarray
    flops: int
    seconds: float
    frames: int
    warp_error_sum: float
    non_key_frames: int

    @property
    def miou(self) -> float:
        ious = iou_per_class(self.confusion)
        return float(np.nanmean(ious)) if np.isfinite(ious).any() else float("nan")

    @property
    def gflops_per_frame(self) -> float:
        return self.flops / max(self.frames, 1) / 1e9

    @property
    def seconds_per_frame(self) -> float:
        return self.seconds / max(self.frames, 1)

    @property
    def mean_warp_error(self) -> float:
        return self.warp_error_sum / max(self.non_key_frames, 1)


def merge_points(points: Sequence[SweepPoint]) -> list[SweepPoint]:
    """Sum points with the same (method, k) (e.g. over clips), keeping first-seen order."""
    merged: dict[tuple[str, int], SweepPoint] = {}
    for p in points:
        key = (p.method, p.k)
        if key not in merged:
            merged[key] = p
            continue
        q = merged[key]
        merged[key] = SweepPoint(p.method, p.k, q.confusion + p.confusion, q.flops + p.flops, q.seconds + p.seconds,
                                 q.frames + p.frames, q.warp_error_sum + p.warp_error_sum,
                                 q.non_key_frames + p.non_key_frames)
    return list(merged.values())


def sweep_clip(frames: np.ndarray, segmentations: Sequence[Segmentation], reference: np.ndarray,
               methods: dict[str, FlowMethod], ks: Sequence[int] = SWEEP_KS, *, key_flops: int,
               key_seconds: float, num_classes: int,
               progress: Callable[[float, str], None] | None = None) -> list[SweepPoint]:
    """Propagate with every method at every k (k larger than the clip is skipped).

    frames (T, H, W, 3) uint8; segmentations: one per frame; reference (T, H, W) labels (ground truth, or
    per-frame segmentation on user videos). k=1 is per-frame segmentation, the same for every method, so it
    is measured once under the method name "per-frame".
    """
    t = len(frames)
    runs = [("per-frame", 1)] if 1 in ks else []
    runs += [(m, k) for m in methods for k in ks if 1 < k <= t]
    points = []
    for i, (name, k) in enumerate(runs):
        if progress is not None:
            progress(i / len(runs), f"{name}, k={k}")
        method = methods[name] if name in methods else FlowMethod("none")
        track = propagate(frames, method, k, segment=lambda j: segmentations[j], key_flops=key_flops,
                          key_seconds=key_seconds)
        conf = confusion(track.labels, reference, num_classes)
        non_key = int((~track.is_key).sum())
        points.append(SweepPoint(name, k, conf, int(track.flops.sum()), float(track.seconds.sum()), t,
                                 float(track.warp_error.sum()), non_key))
    return points
