"""Metrics of mask propagation: mIoU against a reference segmentation, and the photometric warp error."""
from __future__ import annotations

import numpy as np
import torch

from lib.methods.mask_propagation.warp import warp


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
