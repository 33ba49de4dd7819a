"""MPVSS-style mask propagation over a clip: segment key frames only, warp each key-frame mask to the
other frames with its own flow, reuse the key frame's class predictions.

Key frames are 0, k, 2k, ... (MPVSS: frame_id % k == 0). Adapted from ziplab/MPVSS mask2former/mpvss.py
(MPVSS.forward), re-written for single clips.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lib.errors import UserInputError
from lib.methods.mask_propagation.metrics import warp_error
from lib.methods.mask_propagation.motion import FlowMethod
from lib.methods.mask_propagation.segmentors import PAINTED_LOGIT, Segmentation
from lib.methods.mask_propagation.warp import resize_flow, warp

MIN_SEGMENT_SHARE = 0.002  # segments owning less of the key frame are not drawn in the per-query panels


@dataclass(frozen=True)
class PropagationTrack:
    """Result of propagating over T frames of size H x W.

    labels:         (T, H, W) uint8 class map per frame.
    is_key:         (T,) bool; key_index (T,) the key frame each frame came from; since_key (T,) = t - key.
    flow:           (T, h, w, 2) float32 backward flow actually used per pixel (each pixel takes the flow of
                    the segment that owns it), in full-resolution pixels on a grid of <= 1/4 size; 0 on keys.
    segment_flows:  per frame, (S_t, h, w, 2) float32 flows of the segments shown (one when shared).
    segment_classes: per frame, (S_t,) int class id of each shown segment (-1: one flow shared by all).
    warp_error:     (T,) mean absolute grey-level error between the frame and its key frame warped with
                    `flow` (0 on key frames).
    flops:          (T,) FLOPs spent on each frame (segmentor on keys, flow module otherwise).
    seconds:        (T,) wall time per frame: flow + mask warping (+ labels) on warped frames, segmentation on
                    key frames (as given by the caller); display diagnostics (warp error, flow maps) excluded.
    """

    labels: np.ndarray
    is_key: np.ndarray
    key_index: np.ndarray
    since_key: np.ndarray
    flow: np.ndarray
    segment_flows: tuple[np.ndarray, ...]
    segment_classes: tuple[np.ndarray, ...]
    warp_error: np.ndarray
    flops: np.ndarray
    seconds: np.ndarray
    class_names: tuple[str, ...]

    @property
    def num_frames(self) -> int:
        return int(self.labels.shape[0])

    @property
    def flow_magnitude(self) -> np.ndarray:
        """(T,) mean flow length in full-resolution pixels."""
        return np.linalg.norm(self.flow, axis=-1).mean(axis=(1, 2))


def key_frames(num_frames: int, k: int) -> np.ndarray:
    """(T,) bool, True at 0, k, 2k, ...; UserInputError for impossible k."""
    if num_frames < 2:
        raise UserInputError("The clip has a single frame: mask propagation needs at least 2 frames.")
    if not 1 <= k <= num_frames:
        raise UserInputError(f"The key-frame interval k={k} must be between 1 and the clip's {num_frames} frames.")
    return np.arange(num_frames) % k == 0


def _owners(seg: Segmentation, mask_logits: torch.Tensor) -> torch.Tensor:
    """(S, h, w) mask logits -> (h, w) index of the segment that owns each pixel (class-weighted)."""
    weight = seg.class_probs.max(-1).values  # (S,)
    return (weight[:, None, None] * mask_logits.sigmoid()).argmax(0)


def display_grid(height: int, width: int) -> tuple[int, int]:
    return max(1, (height + 3) // 4), max(1, (width + 3) // 4)


def chained_segmentation(labels: np.ndarray, class_names: tuple[str, ...]) -> Segmentation:
    """A propagated label map used as the next key frame's segmentation (painted masks have no segmentor)."""
    num = len(class_names)
    one_hot = torch.from_numpy(np.eye(num, dtype=np.float32)[labels.astype(np.int64)]).permute(2, 0, 1)
    return Segmentation(torch.eye(num), (one_hot * 2 - 1) * PAINTED_LOGIT, None, class_names)


@dataclass(frozen=True)
class WarpedFrame:
    """One frame's masks moved from its key frame (the per-frame work MPVSS times and counts).

    labels: (H, W) class map; flows: (S, 2, h, w) backward flow of each key-frame segment (a shared flow
    expanded); warped: (S, h4, w4) warped mask logits; per_segment: the flows differ per segment (MPVSS).
    """

    labels: np.ndarray
    flows: torch.Tensor
    warped: torch.Tensor
    per_segment: bool


@dataclass(frozen=True)
class FlowDiagnostics:
    """What the tab shows of a warped frame (not timed): flow (gh, gw, 2) used per pixel, full-res pixels;
    segment_flows (S', gh, gw, 2) of the shown segments; segment_classes (S',) (-1: one shared flow);
    warp_error: mean absolute grey-level error of the key frame warped with `flow`."""

    flow: np.ndarray
    segment_flows: np.ndarray
    segment_classes: np.ndarray
    warp_error: float


def segment_key_frame(segment: Callable[[int], Segmentation], t: int, size: tuple[int, int],
                      key_seconds: float | None) -> tuple[Segmentation, np.ndarray, float]:
    """Key-frame step: segment(t) -> (Segmentation, (H, W) labels, seconds spent).

    seconds: segment()'s measured time, or `key_seconds` when given (segment() returns cached results), plus
    turning the masks into labels, as warped frames' seconds include it.
    """
    start = time.perf_counter()
    seg = segment(t)
    segmented = time.perf_counter() - start
    labels = seg.labels(size)
    return seg, labels, (segmented if key_seconds is None else key_seconds) + time.perf_counter() - start - segmented


def warp_key_masks(current: np.ndarray, key: np.ndarray, seg: Segmentation, flow_method: FlowMethod,
                   size: tuple[int, int]) -> WarpedFrame:
    """Warping step: one flow per key-frame segment (or one shared), each mask moved by its own flow, the key
    frame's classes reused; MPVSS's refiner then corrects the warped class scores from the current frame.
    current, key: (H, W, 3) uint8; size: (H, W) of the labels."""
    est = flow_method.estimate(current, key, seg)
    s = seg.mask_logits.shape[0]
    flows = est.flows if est.per_segment else est.flows.expand(s, -1, -1, -1)
    warped = warp(seg.mask_logits[:, None], flows)[:, 0]  # (S, h4, w4): each mask moved by its flow
    if est.refine is None:
        return WarpedFrame(seg.labels(size, warped), flows, warped, est.per_segment)
    logits = est.refine(seg.scores(tuple(warped.shape[-2:]), warped))  # (K, h4, w4), from the current frame
    labels = F.interpolate(logits[None], size=size, mode="bilinear", align_corners=False)[0].argmax(0).numpy()
    return WarpedFrame(labels.astype(np.uint8 if logits.shape[0] <= 256 else np.int32), flows, warped, True)


def flow_diagnostics(step: WarpedFrame, seg: Segmentation, shown: torch.Tensor, current: np.ndarray,
                     key: np.ndarray) -> FlowDiagnostics:
    """Diagnostics step for the views: the composite flow (each pixel takes its owner segment's flow), the
    shown segments' flows on the display grid (<= 1/4 size, full-res pixel units) and the warp error."""
    height, width = current.shape[:2]
    gh, gw = display_grid(height, width)
    to_full = torch.tensor([width / gw, height / gh]).view(1, 2, 1, 1)
    full = resize_flow(step.flows, (gh, gw)) * to_full
    owner = F.interpolate(_owners(seg, step.warped)[None, None].float(), size=(gh, gw), mode="nearest")
    used = full.gather(0, owner.long().expand(1, 2, gh, gw))[0].permute(1, 2, 0).numpy()
    keep = shown if step.per_segment else torch.zeros(1, dtype=torch.long)
    classes = seg.class_probs[keep].argmax(-1).numpy() if step.per_segment else np.array([-1])
    error = warp_error(current, key, used / to_full.view(1, 1, 2).numpy())
    return FlowDiagnostics(used, full[keep].permute(0, 2, 3, 1).numpy(), classes, error)


def shown_segments(seg: Segmentation) -> torch.Tensor:
    """Indices of the key frame's segments that own at least MIN_SEGMENT_SHARE of it (the per-query panels)."""
    owners = _owners(seg, seg.mask_logits)
    share = torch.bincount(owners.flatten(), minlength=seg.mask_logits.shape[0]).float() / owners.numel()
    return torch.nonzero(share >= MIN_SEGMENT_SHARE).flatten()


@torch.no_grad()
def propagate(frames: np.ndarray, flow_method: FlowMethod, k: int, *, segment: Callable[[int], Segmentation],
              key_flops: int = 0, key_seconds: float | None = None, chained: bool = False) -> PropagationTrack:
    """Propagate key-frame masks over `frames` (T, H, W, 3) uint8 with key interval `k`.

    segment(i) -> Segmentation of frame i, called for key frames only. With chained=True (painted masks, no
    segmentor) only segment(0) is called: at later key frames the masks propagated so far become the new
    key-frame masks. key_flops / key_seconds: cost of one segment() call, recorded on key frames
    (key_seconds None: the measured time of the call; pass it when segment() returns cached results).
    Each frame is one step: segment_key_frame, or warp_key_masks (timed) then flow_diagnostics (not timed).
    """
    t_total, height, width = frames.shape[:3]
    is_key = key_frames(t_total, k)
    gh, gw = display_grid(height, width)
    labels = np.zeros((t_total, height, width), np.uint8)
    flow_out = np.zeros((t_total, gh, gw, 2), np.float32)
    seg_flows: list[np.ndarray] = []
    seg_classes: list[np.ndarray] = []
    errors, flops, seconds = np.zeros(t_total), np.zeros(t_total, np.int64), np.zeros(t_total)
    key_idx = np.zeros(t_total, np.int64)
    seg: Segmentation | None = None
    shown = torch.zeros(0, dtype=torch.long)
    flow_flops: int | None = None
    for t in range(t_total):
        if is_key[t] and (t == 0 or not chained):
            seg, labels[t], seconds[t] = segment_key_frame(segment, t, (height, width), key_seconds)
            seg_flows.append(np.zeros((0, gh, gw, 2), np.float32))
            seg_classes.append(np.zeros(0, np.int64))
            flops[t] = key_flops
        else:  # a non-key frame, or a chained key frame that first needs its propagated masks
            kf = int(key_idx[t - 1])
            start = time.perf_counter()
            step = warp_key_masks(frames[t], frames[kf], seg, flow_method, (height, width))
            labels[t], seconds[t] = step.labels, time.perf_counter() - start
            shows = flow_diagnostics(step, seg, shown, frames[t], frames[kf])
            flow_out[t], errors[t] = shows.flow, shows.warp_error
            seg_flows.append(shows.segment_flows)
            seg_classes.append(shows.segment_classes)
            if flow_flops is None:
                flow_flops = flow_method.flops(height, width, seg)
            flops[t] = flow_flops
            key_idx[t] = kf
            if is_key[t]:  # chained: the propagated masks become this key frame's masks
                seg = chained_segmentation(labels[t], seg.class_names)
        if is_key[t]:
            shown = shown_segments(seg)
            key_idx[t] = t
    return PropagationTrack(labels=labels, is_key=is_key, key_index=key_idx, since_key=np.arange(t_total) - key_idx,
                            flow=flow_out, segment_flows=tuple(seg_flows), segment_classes=tuple(seg_classes),
                            warp_error=errors, flops=flops, seconds=seconds, class_names=seg.class_names)
