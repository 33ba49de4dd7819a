"""Metrics of mask propagation: the reference a run is scored against, mIoU per frame and over the clip, drift
by distance from the key frame, and the photometric warp error."""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from lib.methods.mask_propagation.warp import resize_labels, warp

if TYPE_CHECKING:
    from lib.methods.mask_propagation.segmentors import Segmentation


def confusion(pred: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) int64 counts, rows = target class, columns = predicted class.

    pred, target: integer label maps of one shape; labels outside [0, num_classes) are ignored.
    """
    pred, target = np.asarray(pred).astype(np.int64).ravel(), np.asarray(target).astype(np.int64).ravel()
    if pred.shape != target.shape:
        raise ValueError(f"pred and target differ in size: {pred.shape} vs {target.shape}")
    keep = (target >= 0) & (target < num_classes) & (pred >= 0) & (pred < num_classes)
    return np.bincount(target[keep] * num_classes + pred[keep], minlength=num_classes ** 2).reshape(
        num_classes, num_classes)


def iou_per_class(conf: np.ndarray) -> np.ndarray:
    """Per-class IoU (num_classes,) float64 from a confusion matrix; NaN for classes absent from both."""
    tp = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, tp / np.maximum(union, 1), np.nan)


def mean_iou(pred: np.ndarray, target: np.ndarray, num_classes: int) -> float:
    """mIoU in [0, 1] over the classes that occur in pred or target (accumulated over all given frames).

    pred, target: (..., H, W) integer label maps. Returns NaN when no pixel has a valid label.
    """
    ious = iou_per_class(confusion(pred, target, num_classes))
    return float(np.nanmean(ious)) if np.isfinite(ious).any() else float("nan")


def frame_iou(pred: np.ndarray, target: np.ndarray, num_classes: int) -> float:
    """mIoU of one frame (same as mean_iou on a single (H, W) pair)."""
    return mean_iou(pred, target, num_classes)


def warp_error(current: np.ndarray, key: np.ndarray, flow: np.ndarray) -> float:
    """Mean absolute photometric error (grey levels, 0..255) between `current` and the key frame
    backward-warped to it with `flow` (h, w, 2) (any size: resized and rescaled to the frame).

    current, key: (H, W, 3) uint8. Lower = the flow moves content the way it really moved.
    """
    cur = torch.from_numpy(np.asarray(current, np.float32)).permute(2, 0, 1)[None]
    k = torch.from_numpy(np.asarray(key, np.float32)).permute(2, 0, 1)[None]
    f = torch.from_numpy(np.asarray(flow, np.float32)).permute(2, 0, 1)[None]
    warped = warp(k, f)
    return float((warped - cur).abs().mean())


def reference_labels(ground_truth: np.ndarray | None, segmentations: Sequence[Segmentation] | None,
                     num_frames: int, size: tuple[int, int]) -> tuple[np.ndarray | None, str]:
    """What a run is scored against, and its name: (T, H, W) labels at `size` or None.

    Ground truth (T', H', W') class ids when given (first `num_frames` frames, nearest-resized); else the
    per-frame segmentations' labels (user videos); else None ("none": painted masks on a user video).
    """
    if ground_truth is not None:
        return resize_labels(np.asarray(ground_truth)[:num_frames], *size), "ground truth"
    if segmentations is not None:
        return np.stack([s.labels(size) for s in segmentations]), "per-frame segmentation"
    return None, "none"


def frame_ious(pred: np.ndarray, reference: np.ndarray | None, num_classes: int) -> tuple[np.ndarray, float]:
    """pred, reference (T, H, W) labels -> ((T,) mIoU of each frame, mIoU over the clip, accumulated).

    NaN where no class occurs (or everywhere without a reference).
    """
    if reference is None:
        return np.full(len(pred), np.nan), float("nan")
    per = []
    for p, r in zip(pred, reference):
        ious = iou_per_class(confusion(p, r, num_classes))
        per.append(np.nanmean(ious) if np.isfinite(ious).any() else np.nan)
    total = iou_per_class(confusion(pred, reference, num_classes))
    return np.array(per), float(np.nanmean(total)) if np.isfinite(total).any() else float("nan")


def drift_by_offset(frame_iou: np.ndarray, since_key: np.ndarray, k: int) -> np.ndarray:
    """(k,) mean frame IoU of the frames d = 0 .. k-1 frames after their key frame (NaN where none is finite)."""
    return np.array([np.nanmean(frame_iou[since_key == d]) if np.isfinite(frame_iou[since_key == d]).any()
                     else np.nan for d in range(int(k))])
