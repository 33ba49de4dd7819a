"""Mask propagation tab (MPVSS): run the pipeline on a clip, sweep cost vs accuracy, render, export.

run_mask_propagation(frames, ...) -> MaskPropagationResult      segment key frames, warp masks, measure
run_cost_sweep(result, ks) -> CostSweep                          every (flow method, k) on the same clip
render_frame(result, t) -> (overlay, strip, query flow panels)   uint8 images for one frame
drift_figure / cost_figure -> plotly figures; write_overlay_video; export_bundle -> .zip
The Gradio tab (demos/mask_propagation.py) and notebooks/mask_propagation.ipynb both call these.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from lib.errors import UserInputError
from lib.examples import list_examples
from lib.methods.mask_propagation.metrics import confusion, iou_per_class
from lib.methods.mask_propagation.motion import FLOW_METHODS, FlowMethod
from lib.methods.mask_propagation.propagate import PropagationTrack, key_frames, propagate
from lib.methods.mask_propagation.render import (
    cost_figure,
    drift_figure,
    export_bundle,
    frame_caption,
    render_frame,
    render_overlay,
    render_query_flows,
    render_strip,
    write_overlay_video,
)
from lib.methods.mask_propagation.segmentors import (
    KeyFrameSegmentor,
    Segmentation,
    hub_class_names,
    labels_from_painting,
    painted_segmentation,
)
from lib.methods.mask_propagation.sweep import SWEEP_KS, SweepPoint, sweep_clip
from lib.models import get_spec, load_model
from lib.toyworld import load_example_ground_truth
from lib.video import load_clip

BUNDLED_SEGMENTOR = "query-segmentor-tiny-toy"
MOTION_MODEL = "mpvss-flow-tiny-toy"
PAINTED = "painted"
SEGMENTORS: dict[str, str] = {
    BUNDLED_SEGMENTOR: "Query segmentor (bundled, trained on the toy world)",
    "mask2former-swin-t-ade": "Mask2Former Swin-T, ADE20K (hub download)",
    "mask2former-swin-t-cityscapes": "Mask2Former Swin-T, Cityscapes (hub download)",
    PAINTED: "Masks I paint on the first frame",
}
Progress = Callable[[float, str], None]
__all__ = ["FLOW_METHODS", "SEGMENTORS", "CostSweep", "MaskPropagationResult", "PropagationClip",
           "load_propagation_clip", "cost_figure", "drift_figure",
           "export_bundle", "frame_caption", "render_frame", "render_overlay", "render_query_flows", "render_strip",
           "run_cost_sweep", "run_mask_propagation", "write_overlay_video"]


@dataclass(frozen=True)
class MaskPropagationResult:
    """One propagation run on a clip.

    frames (T, H, W, 3) uint8; track: labels, key frames, flows, warp errors, FLOPs (see PropagationTrack).
    reference (T, H, W) labels or None: ground truth (toy world) or per-frame segmentation (user videos);
    reference_kind says which. frame_iou (T,) mIoU of each frame vs reference (NaN without one);
    miou over the clip; drift (k,) mean frame IoU by frames since the last key frame.
    segmentations: per-frame segmentations (None for painted masks), reused by the cost sweep.
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

    @property
    def gflops_per_frame(self) -> float:
        return float(self.track.flops.mean() / 1e9)

    @property
    def per_frame_gflops(self) -> float:
        return self.key_flops / 1e9

    def metrics(self) -> dict:
        """JSON-able summary (settings and measurements)."""
        finite = lambda v: None if not np.isfinite(v) else round(float(v), 4)  # noqa: E731
        return {"segmentor": self.segmentor, "flow": self.flow, "k": self.k, "frames": int(len(self.frames)),
                "height": int(self.frames.shape[1]), "width": int(self.frames.shape[2]),
                "reference": self.reference_kind, "miou": finite(self.miou),
                "gflops_per_frame": round(self.gflops_per_frame, 5),
                "per_frame_segmentation_gflops": round(self.per_frame_gflops, 5),
                "mean_warp_error": round(float(self.track.warp_error[~self.track.is_key].mean()), 3)
                if (~self.track.is_key).any() else 0.0,
                "seconds_per_frame": round(float(self.track.seconds.mean()), 4),
                "key_frames": [int(i) for i in np.nonzero(self.track.is_key)[0]],
                "drift_iou_by_frames_since_key": [finite(v) for v in self.drift]}


@dataclass(frozen=True)
class CostSweep:
    """points: one per (method, k), measured on the clip; reference_kind as in MaskPropagationResult."""

    points: tuple[SweepPoint, ...]
    reference_kind: str


CLIP_FPS = 12.5        # frames per second sampled from the video (consecutive motion stays small)
CLIP_MAX_FRAMES = 40   # longer videos are sampled more sparsely
CLIP_SHORT_SIDE = 128  # the bundled models were trained on 128 x 128 toy-world frames


@dataclass(frozen=True)
class PropagationClip:
    """frames (T, H, W, 3) uint8 at `fps`; ground_truth (T, H, W) class ids for toy-world examples, else None."""

    frames: np.ndarray
    fps: float
    ground_truth: np.ndarray | None
    name: str


def load_propagation_clip(path: str | Path) -> PropagationClip:
    """Decode a video for propagation (12.5 fps, at most 40 frames, short side 128) and, when it is one of the
    bundled toy-world examples, its ground-truth class maps. Raises VideoError (a UserInputError)."""
    clip = load_clip(path, num_frames=None, fps=CLIP_FPS, short_side=CLIP_SHORT_SIDE, max_frames=CLIP_MAX_FRAMES)
    name = Path(path).name
    truth = None
    for example in list_examples():
        if example.path.name == name and example.name.startswith("toy"):
            try:
                gt = load_example_ground_truth(example.name)
            except UserInputError:
                break
            truth = _resize_labels(gt.semantic[np.clip(clip.indices, 0, gt.num_frames - 1)], *clip.frames.shape[1:3])
            break
    rate = CLIP_FPS if len(clip.indices) < 2 else clip.fps / max(float(np.median(np.diff(clip.indices))), 1.0)
    return PropagationClip(clip.frames, float(rate), truth, name)


def _segmentor(name: str) -> KeyFrameSegmentor:
    if name not in SEGMENTORS or name == PAINTED:
        raise UserInputError(f"Unknown segmentor {name!r}; choose one of: {', '.join(SEGMENTORS)}.")
    model = load_model(name)  # ModelUnavailableError (a UserInputError) when offline or missing
    if get_spec(name).source == "bundled":
        return KeyFrameSegmentor(model, "bundled", tuple(model.class_names))
    return KeyFrameSegmentor(model, "mask2former", hub_class_names(model))


def flow_method(name: str) -> FlowMethod:
    if name not in FLOW_METHODS:
        raise UserInputError(f"Unknown flow method {name!r}; choose one of: {', '.join(FLOW_METHODS)}.")
    return FlowMethod(name, load_model(MOTION_MODEL) if name == "mpvss" else None)


def _resize_labels(labels: np.ndarray, height: int, width: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.shape[-2:] == (height, width):
        return labels
    return np.stack([cv2.resize(l.astype(np.int32), (width, height), interpolation=cv2.INTER_NEAREST)
                     for l in labels.reshape(-1, *labels.shape[-2:])]).reshape(*labels.shape[:-2], height, width)


def _frame_ious(pred: np.ndarray, reference: np.ndarray | None, num_classes: int) -> tuple[np.ndarray, float]:
    if reference is None:
        return np.full(len(pred), np.nan), float("nan")
    per = []
    for p, r in zip(pred, reference):
        ious = iou_per_class(confusion(p, r, num_classes))
        per.append(np.nanmean(ious) if np.isfinite(ious).any() else np.nan)
    total = iou_per_class(confusion(pred, reference, num_classes))
    return np.array(per), float(np.nanmean(total)) if np.isfinite(total).any() else float("nan")


def run_mask_propagation(frames: np.ndarray, *, segmentor: str = BUNDLED_SEGMENTOR, flow: str = "mpvss", k: int = 5,
                         fps: float = 12.5, painting: np.ndarray | None = None,
                         ground_truth: np.ndarray | None = None, progress: Progress | None = None) -> MaskPropagationResult:
    """Segment key frames 0, k, 2k, ... and propagate their masks to the other frames.

    frames: (T, H, W, 3) uint8. painting: (H', W', 3|4) brush layer over frame 0 (segmentor="painted").
    ground_truth: (T, H', W') class ids (toy world), used as reference; otherwise the per-frame
    segmentation is the reference (none for painted masks). Raises UserInputError for bad settings.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise UserInputError("Expected video frames (T, H, W, 3).")
    key_frames(len(frames), int(k))  # validates T >= 2 and 1 <= k <= T early, before any model loads
    report = progress or (lambda *_: None)
    height, width = frames.shape[1:3]
    method = flow_method(flow)
    segmentations = None
    if segmentor == PAINTED:
        if painting is None:
            raise UserInputError("Nothing is painted on the first frame: paint at least one region with the brush.")
        labels0 = _resize_labels(labels_from_painting(painting), height, width)
        first = painted_segmentation(labels0)
        segment, chained, key_flops, key_seconds = (lambda i: first), True, 0, 0.0
        class_names = first.class_names
    else:
        report(0.05, f"loading {segmentor}")
        seg_model = _segmentor(segmentor)
        report(0.1, "segmenting every frame (the per-frame reference)")
        start = time.perf_counter()
        segmentations = tuple(seg_model.segment(frames, batch=1))  # per-frame latency, like the flow
        key_seconds = (time.perf_counter() - start) / len(frames)
        key_flops = seg_model.flops(height, width)
        segment, chained, class_names = (lambda i: segmentations[i]), False, seg_model.class_names
    report(0.6, f"propagating with {flow}, k={k}")
    track = propagate(frames, method, int(k), segment=segment, key_flops=key_flops, key_seconds=key_seconds,
                      chained=chained)
    if ground_truth is not None:
        reference, kind = _resize_labels(np.asarray(ground_truth)[: len(frames)], height, width), "ground truth"
    elif segmentations is not None:
        reference = np.stack([s.labels((height, width)) for s in segmentations])
        kind = "per-frame segmentation"
    else:
        reference, kind = None, "none"
    frame_iou, miou = _frame_ious(track.labels, reference, len(class_names))
    drift = np.array([np.nanmean(frame_iou[track.since_key == d]) if np.isfinite(frame_iou[track.since_key == d]).any()
                      else np.nan for d in range(int(k))])
    report(1.0, "done")
    return MaskPropagationResult(frames=frames, fps=float(fps), segmentor=segmentor, flow=flow, k=int(k), track=track,
                                 reference=reference, reference_kind=kind, frame_iou=frame_iou, miou=miou, drift=drift,
                                 key_flops=int(key_flops), key_seconds=float(key_seconds), segmentations=segmentations)


def run_cost_sweep(result: MaskPropagationResult, ks: tuple[int, ...] = SWEEP_KS,
                   progress: Progress | None = None) -> CostSweep:
    """Every flow method at every k on the result's clip, against the same reference (segmentations reused)."""
    if result.segmentations is None or result.reference is None:
        raise UserInputError("The cost/accuracy sweep needs a segmentor (painted masks have no per-frame "
                             "segmentation to compare with); pick a segmentor and propagate first.")
    methods = {name: flow_method(name) for name in FLOW_METHODS}
    points = sweep_clip(result.frames, result.segmentations, result.reference, methods, ks,
                        key_flops=result.key_flops, key_seconds=result.key_seconds,
                        num_classes=len(result.track.class_names), progress=progress)
    return CostSweep(tuple(points), result.reference_kind)


def preview(clip: PropagationClip, flow: str = "mpvss", k: int = 5, segmentor: str = BUNDLED_SEGMENTOR,
            max_frames: int = 16):
    """A PIL image for notebook widgets: propagate, then show the strip of the frame farthest from its key
    frame (where drift is largest), labelled with the clip's mIoU and GFLOPs per frame. Uses the first
    `max_frames` frames so that widgets answer quickly."""
    from PIL import Image

    from lib.viz import put_label

    truth = None if clip.ground_truth is None else clip.ground_truth[:max_frames]
    result = run_mask_propagation(clip.frames[:max_frames], segmentor=segmentor, flow=flow, k=min(k, max_frames),
                                  fps=clip.fps, ground_truth=truth)
    t = int(np.argmax(result.track.since_key))
    text = f"{flow}, k={k}: mIoU {result.miou:.3f} vs {result.reference_kind}, {result.gflops_per_frame:.3f} GFLOPs/frame"
    return Image.fromarray(put_label(render_strip(result, t), text, corner="bottom-left"))
