"""The frozen results of the mask-propagation tab: the decoded clip, one propagation run, one cost sweep.

Plain data (no models): render.py reads them, task.py builds them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lib.methods.mask_propagation.propagate import PropagationTrack
    from lib.methods.mask_propagation.segmentors import Segmentation
    from lib.methods.mask_propagation.sweep import SweepPoint


@dataclass(frozen=True)
class PropagationClip:
    """A video as the tab propagates it: frames (T, H, W, 3) uint8 at `fps` (the sampling rate);
    ground_truth (T, H, W) class ids when the file is a bundled toy-world example (by content), else None;
    indices (T,) source frame indices and source (the file) when decoded from one, so a hub segmentor can
    decode the same frames again at its own resolution (task.segmentor_frames), else None.

    Decoded clips are cached and shared (task.load_propagation_clip): treat the arrays as read-only.
    """

    frames: np.ndarray
    fps: float
    ground_truth: np.ndarray | None
    name: str
    indices: np.ndarray | None = None
    source: str | None = None


@dataclass(frozen=True)
class MaskPropagationResult:
    """One propagation run on a clip.

    frames (T, H, W, 3) uint8; track: labels, key frames, flows, warp errors, FLOPs (see PropagationTrack).
    reference (T, H, W) labels or None: ground truth (toy world) or per-frame segmentation (user videos);
    reference_kind says which ("ground truth", "per-frame segmentation" or "none"). frame_iou (T,) mIoU of
    each frame vs reference (NaN without one); miou over the clip; drift (k,) mean frame IoU by frames since
    the last key frame. segmentations: per-frame segmentations (None for painted masks), reused by the sweep.
    notes: sentences about how the clip was read (e.g. cut short for a pretrained segmentor), shown with the frames.
    baselines: with flow "sam2" (one key frame, k = T), per-frame segmentation and the flows at k = 5 measured on
    the same clip against the same reference, shown beside SAM 2; () otherwise.
    """

    frames: np.ndarray
    fps: float
    segmentor: str
    flow: str
    k: int
    track: PropagationTrack
    reference: np.ndarray | None
    reference_kind: str
    frame_iou: np.ndarray
    miou: float
    drift: np.ndarray
    key_flops: int
    key_seconds: float
    segmentations: tuple[Segmentation, ...] | None = field(default=None, repr=False)
    notes: tuple[str, ...] = ()
    baselines: tuple[SweepPoint, ...] = ()

    @property
    def has_ground_truth(self) -> bool:
        """True only for bundled toy-world examples (identified by content) or ground truth passed in."""
        return self.reference_kind == "ground truth"

    @property
    def gflops_per_frame(self) -> float:
        return float(self.track.flops.mean() / 1e9)

    @property
    def per_frame_gflops(self) -> float:
        return self.key_flops / 1e9

    def metrics(self) -> dict:
        """JSON-able summary (settings and measurements)."""
        finite = lambda v: None if not np.isfinite(v) else round(float(v), 4)  # noqa: E731
        warped = ~self.track.is_key
        out = {"segmentor": self.segmentor, "flow": self.flow, "k": self.k, "frames": int(len(self.frames)),
               "height": int(self.frames.shape[1]), "width": int(self.frames.shape[2]),
               "reference": self.reference_kind, "miou": finite(self.miou),
               "gflops_per_frame": round(self.gflops_per_frame, 5),
               "per_frame_segmentation_gflops": round(self.per_frame_gflops, 5),
               "mean_warp_error": None if self.flow == "sam2"  # SAM 2 warps nothing
               else round(float(self.track.warp_error[warped].mean()), 3) if warped.any() else 0.0,
               "seconds_per_frame": round(float(self.track.seconds.mean()), 4),
               "key_frames": [int(i) for i in np.nonzero(self.track.is_key)[0]],
               "drift_iou_by_frames_since_key": [finite(v) for v in self.drift]}
        if self.baselines:
            out["beside_on_this_clip"] = [{"method": p.method, "k": p.k, "miou": finite(p.miou),
                                           "gflops_per_frame": round(p.gflops_per_frame, 5),
                                           "seconds_per_frame": round(p.seconds_per_frame, 4)} for p in self.baselines]
        return out


@dataclass(frozen=True)
class CostSweep:
    """points: one per (method, k), measured on the clip; reference_kind as in MaskPropagationResult."""

    points: tuple[SweepPoint, ...]
    reference_kind: str
