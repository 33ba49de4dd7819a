"""Held-out toy-world evaluation of the bundled propagation models (training scripts and benchmark)."""
from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from lib.methods.mask_propagation.data import toy_clip
from lib.methods.mask_propagation.motion import FlowMethod
from lib.methods.mask_propagation.segmentors import KeyFrameSegmentor
from lib.methods.mask_propagation.sweep import SweepPoint, merge_points, sweep_clip
from lib.toyworld import CLASS_NAMES

UNREFINED = "mpvss-unrefined"  # the ablation: the same motion module, warped masks only (no refiner)


def sweep_toy(segmentor: torch.nn.Module, motion: torch.nn.Module, seeds: Sequence[int],
              ks: Sequence[int] = (1, 5), num_frames: int | None = None, unrefined: bool = False) -> list[SweepPoint]:
    """Sweep (per-frame, mpvss, dis, none) x ks over held-out clips, summed over clips; unrefined=True adds
    UNREFINED (when the motion module has a refiner)."""
    seg = KeyFrameSegmentor(segmentor, "bundled", tuple(CLASS_NAMES))
    methods = {"mpvss": FlowMethod("mpvss", motion), "dis": FlowMethod("dis"), "none": FlowMethod("none")}
    if unrefined and getattr(motion, "refiner", None) is not None:
        methods[UNREFINED] = FlowMethod("mpvss", motion, refine=False)
    points = []
    for s in seeds:
        clip = toy_clip(s)
        frames = clip.frames[:num_frames] if num_frames else clip.frames
        start = time.perf_counter()
        segs = seg.segment(frames, batch=1)  # one frame at a time, like the flow
        seconds = (time.perf_counter() - start) / len(frames)
        h, w = frames.shape[1:3]
        points += sweep_clip(frames, segs, clip.semantic[: len(frames)], methods, ks, key_flops=seg.flops(h, w),
                             key_seconds=seconds, num_classes=len(CLASS_NAMES))
    return merge_points(points)


def evaluate_toy(segmentor: torch.nn.Module, motion: torch.nn.Module, seeds: Sequence[int],
                 k: int = 5) -> dict[str, float]:
    """mIoU against ground truth: per-frame segmentation, and mpvss / dis / none at interval k."""
    points = sweep_toy(segmentor, motion, seeds, ks=(1, k))
    return {("per-frame" if p.k == 1 else p.method): p.miou for p in points}
