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


def _display_grid(height: int, width: int) -> tuple[int, int]:
    return max(1, (height + 3) // 4), max(1, (width + 3) // 4)


def chained_segmentation(labels: np.ndarray, class_names: tuple[str, ...]) -> Segmentation:
    """A propagated label map used as the next key frame's segmentation (painted masks have no segmentor)."""
    num = len(class_names)
    one_hot = torch.from_numpy(np.eye(num, dtype=np.float32)[labels.astype(np.int64)]).permute(2, 0, 1)
    return Segmentation(torch.eye(num), (one_hot * 2 - 1) * PAINTED_LOGIT, None, class_names)


@torch.no_grad()
def propagate(frames: np.ndarray, flow_method: FlowMethod, k: int, *, segment: Callable[[int], Segmentation],
              key_flops: int = 0, key_seconds: float | None = None, chained: bool = False) -> PropagationTrack:
    """Propagate key-frame masks over `frames` (T, H, W, 3) uint8 with key interval `k`.

    segment(i) -> Segmentation of frame i, called for key frames only. With chained=True (painted masks, no
    segmentor) only segment(0) is called: at later key frames the masks propagated so far become the new
    key-frame masks. key_flops / key_seconds: cost of one segment() call, recorded on key frames
    (key_seconds None: the measured time of the call; pass it when segment() returns cached results).
    Key frames' seconds also include turning the masks into labels, as warped frames' do.
    """
    t_total, height, width = frames.shape[:3]
    is_key = key_frames(t_total, k)
    gh, gw = _display_grid(height, width)
    to_full = torch.tensor([width / gw, height / gh]).view(1, 2, 1, 1)
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
        start = time.perf_counter()
        spent = 0.0
        if is_key[t] and (t == 0 or not chained):
            seg = segment(t)
        segmented = time.perf_counter() - start
        if is_key[t] and seg is not None and not (chained and t > 0):
            labels[t] = seg.labels((height, width))
            spent = (segmented if key_seconds is None else key_seconds) + time.perf_counter() - start - segmented
        else:  # a non-key frame, or a chained key frame that first needs its propagated masks
            kf = int(key_idx[t - 1])
            est = flow_method.estimate(frames[t], frames[kf], seg)
            s = seg.mask_logits.shape[0]
            flows = est.flows if est.per_segment else est.flows.expand(s, -1, -1, -1)
            warped = warp(seg.mask_logits[:, None], flows)[:, 0]  # (S, h4, w4): each mask moved by its flow
            labels[t] = seg.labels((height, width), warped)
            spent = time.perf_counter() - start  # the method's own work; the diagnostics below are not timed
            # Composite flow: each pixel takes its owner segment's flow (full-res pixel units, display grid).
            full = resize_flow(flows, (gh, gw)) * to_full
            owner = F.interpolate(_owners(seg, warped)[None, None].float(), size=(gh, gw), mode="nearest")
            used = full.gather(0, owner.long().expand(1, 2, gh, gw))[0]
            flow_out[t] = used.permute(1, 2, 0).numpy()
            keep = shown if est.per_segment else torch.zeros(1, dtype=torch.long)
            seg_flows.append(full[keep].permute(0, 2, 3, 1).numpy())
            seg_classes.append(seg.class_probs[keep].argmax(-1).numpy() if est.per_segment else np.array([-1]))
            if flow_flops is None:
                flow_flops = flow_method.flops(height, width, seg)
            flops[t] = flow_flops
            errors[t] = warp_error(frames[t], frames[kf], flow_out[t] / to_full.view(1, 1, 2).numpy())
        if is_key[t]:
            if chained and t > 0:
                seg = chained_segmentation(labels[t], seg.class_names)
            owners = _owners(seg, seg.mask_logits)
            share = torch.bincount(owners.flatten(), minlength=seg.mask_logits.shape[0]).float() / owners.numel()
            shown = torch.nonzero(share >= MIN_SEGMENT_SHARE).flatten()
            key_idx[t] = t
            if not (chained and t > 0):
                flow_out[t] = 0
                seg_flows.append(np.zeros((0, gh, gw, 2), np.float32))
                seg_classes.append(np.zeros(0, np.int64))
                errors[t] = 0.0
                flops[t] = key_flops
            seconds[t] = spent
        else:
            key_idx[t] = key_idx[t - 1]
            seconds[t] = spent
    return PropagationTrack(labels=labels, is_key=is_key, key_index=key_idx, since_key=np.arange(t_total) - key_idx,
                            flow=flow_out, segment_flows=tuple(seg_flows), segment_classes=tuple(seg_classes),
                            warp_error=errors, flops=flops, seconds=seconds, class_names=seg.class_names)
