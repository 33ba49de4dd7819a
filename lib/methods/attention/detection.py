"""Temporal action detection: decoding an anchor-free head, 1-D NMS, and mAP at temporal IoU.

Times are in frames of the source video (floats, end exclusive). The mAP follows the ActivityNet /
THUMOS protocol (as in activitynet/ActivityNet's Evaluation/eval_detection.py, re-derived here):
per class, detections sorted by score are matched greedily to the unmatched ground-truth segment
of highest tIoU >= threshold; AP is the area under the monotone precision envelope.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Detection:
    """One predicted action segment: [start, end) in source frames, class id, score in [0, 1]."""

    start: float
    end: float
    label: int
    score: float


@dataclass(frozen=True)
class Segment:
    """One ground-truth action segment: [start, end) in source frames and its class id."""

    start: float
    end: float
    label: int


def tiou(a: tuple[float, float], b: np.ndarray) -> np.ndarray:
    """Temporal IoU of segment a = (start, end) with segments b (K, 2); (K,) in [0, 1]."""
    b = np.asarray(b, np.float64).reshape(-1, 2)
    inter = np.clip(np.minimum(a[1], b[:, 1]) - np.maximum(a[0], b[:, 0]), 0.0, None)
    union = (a[1] - a[0]) + (b[:, 1] - b[:, 0]) - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def decode_detections(scores: np.ndarray, distances: np.ndarray, centres: np.ndarray, *, frame_scale: float = 1.0,
                      offset: float = 0.0, score_threshold: float = 0.05, top_k: int = 200) -> list[Detection]:
    """Turn an anchor-free head's outputs into scored segments (before NMS).

    scores:    (L, C) class probabilities in [0, 1] at L time positions (all pyramid levels together).
    distances: (L, 2) >= 0 distances from each position to the segment's start and end, in the same
               units as `centres`.
    centres:   (L,) position of each time step in model time steps.
    frame_scale, offset: source frame = offset + frame_scale * model time.
    Keeps the `top_k` (position, class) pairs scoring at least `score_threshold`.
    """
    scores = np.asarray(scores, np.float32)
    flat = scores.ravel()
    keep = np.flatnonzero(flat >= score_threshold)
    keep = keep[np.argsort(-flat[keep], kind="stable")[:top_k]]
    out = []
    for index in keep:
        pos, label = divmod(int(index), scores.shape[1])
        start = offset + frame_scale * (centres[pos] - distances[pos, 0])
        end = offset + frame_scale * (centres[pos] + distances[pos, 1])
        if end > start:
            out.append(Detection(float(start), float(end), label, float(flat[index])))
    return out


def nms_1d(detections: Sequence[Detection], *, iou_threshold: float = 0.5, max_keep: int = 100) -> list[Detection]:
    """Greedy per-class non-maximum suppression: drop segments overlapping a better one by > iou_threshold."""
    kept: list[Detection] = []
    for label in sorted({d.label for d in detections}):
        pool = sorted((d for d in detections if d.label == label), key=lambda d: -d.score)
        chosen: list[Detection] = []
        for det in pool:
            spans = np.array([[c.start, c.end] for c in chosen])
            if chosen and tiou((det.start, det.end), spans).max() > iou_threshold:
                continue
            chosen.append(det)
        kept += chosen
    return sorted(kept, key=lambda d: -d.score)[:max_keep]


def average_precision(detections: Sequence[tuple[int, Detection]], truths: Sequence[tuple[int, Segment]],
                      threshold: float) -> float:
    """AP of one class: `detections` and `truths` are (video id, item) pairs of that class."""
    if not truths:
        return float("nan")
    if not detections:
        return 0.0
    order = sorted(detections, key=lambda vd: -vd[1].score)
    by_video: dict[int, list[int]] = {}
    for k, (video, _) in enumerate(truths):
        by_video.setdefault(video, []).append(k)
    used = np.zeros(len(truths), bool)
    hits = np.zeros(len(order))
    for i, (video, det) in enumerate(order):
        candidates = [k for k in by_video.get(video, []) if not used[k]]
        if not candidates:
            continue
        overlaps = tiou((det.start, det.end), np.array([[truths[k][1].start, truths[k][1].end] for k in candidates]))
        best = int(np.argmax(overlaps))
        if overlaps[best] >= threshold:
            used[candidates[best]] = True
            hits[i] = 1
    tp = np.cumsum(hits)
    recall = tp / len(truths)
    precision = tp / np.arange(1, len(order) + 1)
    precision = np.concatenate([[0.0], precision, [0.0]])
    recall = np.concatenate([[0.0], recall, [1.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]  # monotone envelope
    steps = np.flatnonzero(recall[1:] != recall[:-1]) + 1
    return float(np.sum((recall[steps] - recall[steps - 1]) * precision[steps]))


def mean_average_precision(predictions: Sequence[Sequence[Detection]], truths: Sequence[Sequence[Segment]],
                           thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7)) -> dict[float, float]:
    """mAP over classes with ground truth, per tIoU threshold; predictions[i], truths[i] belong to video i.

    Returns {threshold: mAP in [0, 1]}.
    """
    if len(predictions) != len(truths):
        raise ValueError("need one list of predictions per list of ground-truth segments")
    labels = sorted({s.label for video in truths for s in video})
    result = {}
    for threshold in thresholds:
        aps = []
        for label in labels:
            dets = [(v, d) for v, video in enumerate(predictions) for d in video if d.label == label]
            gts = [(v, s) for v, video in enumerate(truths) for s in video if s.label == label]
            aps.append(average_precision(dets, gts, threshold))
        result[float(threshold)] = float(np.mean(aps)) if aps else float("nan")
    return result
