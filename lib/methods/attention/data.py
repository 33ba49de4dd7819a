"""Toy-world action detection for the STPT-style models: clips, targets, loss, detection and mAP.

A detection window is `num_frames` input frames taken every `frame_stride` source frames of a
LongToyVideo (64 x 4 = 256 source frames by default, about 10 s at 25 fps), at low resolution.
Ground truth: the video's ActionSegments clipped to the window, in source frames.
Targets follow FCOS / AFSD-style anchor-free assignment: a time position inside a segment predicts
that segment's class and its distances to the start and end, on the pyramid level whose range
holds the larger of the two distances.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from lib.methods.attention.detection import Detection, Segment, decode_detections, mean_average_precision, nms_1d
from lib.models.preprocess import IMAGENET_MEAN, IMAGENET_STD, video_to_tensor
from lib.toyworld import ACTION_NAMES, LongToyVideo, SeedSplit

SEEDS = SeedSplit(held_out_start=100_000)  # training videos: seeds 0, 1, ...; held-out ones from 100_000 on
# Mirroring a clip left-right swaps these actions (the rest keep their meaning).
MIRROR = {ACTION_NAMES.index(a): ACTION_NAMES.index(b) for a, b in
          [("left", "right"), ("right", "left"), ("rotate_cw", "rotate_ccw"), ("rotate_ccw", "rotate_cw")]}
LEVEL_RANGES = ((0.0, 4.0), (4.0, 8.0), (8.0, float("inf")))  # max(start, end distance) per level, in steps


@dataclass(frozen=True)
class DetectionClip:
    """One detection window: frames (T, S, S, 3) uint8 and ground truth in source frames of the window."""

    frames: np.ndarray
    segments: tuple[Segment, ...]
    first_frame: int
    frame_stride: int


def toy_video(seed: int, *, num_frames: int = 64, frame_stride: int = 4, size: int = 64) -> DetectionClip:
    """All `num_frames` input frames (every `frame_stride`-th) of a LongToyVideo of num_frames * frame_stride
    source frames, with all its segments."""
    video = LongToyVideo(seed, num_frames=num_frames * frame_stride, height=size, width=size)
    frames = video.frames(list(range(0, num_frames * frame_stride, frame_stride)))
    segments = tuple(Segment(s.start, s.end, s.label) for s in video.segments)
    return DetectionClip(frames, segments, 0, frame_stride)


def crop_window(clip: DetectionClip, start: int, num_frames: int, *, min_length: int = 16) -> DetectionClip:
    """Input frames [start, start + num_frames) of `clip`; segments clipped to them (in the window's source
    frames) and dropped when shorter than `min_length` source frames."""
    first = start * clip.frame_stride
    last = first + num_frames * clip.frame_stride
    segments = tuple(Segment(max(s.start, first) - first, min(s.end, last) - first, s.label)
                     for s in clip.segments if min(s.end, last) - max(s.start, first) >= min_length)
    return DetectionClip(clip.frames[start:start + num_frames], segments, clip.first_frame + first, clip.frame_stride)


def toy_window(seed: int, *, num_frames: int = 64, frame_stride: int = 4, size: int = 64) -> DetectionClip:
    """A whole short LongToyVideo as one detection window (how held-out clips are evaluated)."""
    return crop_window(toy_video(seed, num_frames=num_frames, frame_stride=frame_stride, size=size), 0, num_frames)


def mirrored(clip: DetectionClip) -> DetectionClip:
    """The same window mirrored left-right, with direction-dependent labels swapped."""
    segments = tuple(Segment(s.start, s.end, MIRROR.get(s.label, s.label)) for s in clip.segments)
    return DetectionClip(np.ascontiguousarray(clip.frames[:, :, ::-1]), segments, clip.first_frame, clip.frame_stride)


def to_input(frames: np.ndarray, size: int) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, size, size) normalised float32 (ImageNet mean/std)."""
    return video_to_tensor(frames, size=size, mean=IMAGENET_MEAN, std=IMAGENET_STD)


def assign_targets(segments: Sequence[Segment], centres: torch.Tensor, levels: torch.Tensor, frames_per_step: float,
                   num_classes: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per position: class target (L, C) in {0, 1}, distance target (L, 2) in steps, positive mask (L,).

    Where several segments contain a position, the shortest wins.
    """
    n = len(centres)
    classes = torch.zeros(n, num_classes)
    distances = torch.zeros(n, 2)
    best = torch.full((n,), float("inf"))
    for seg in segments:
        a, b = seg.start / frames_per_step, seg.end / frames_per_step
        left, right = centres - a, b - centres
        reach = torch.maximum(left, right)
        low = torch.tensor([LEVEL_RANGES[int(k)][0] for k in levels])
        high = torch.tensor([LEVEL_RANGES[int(k)][1] for k in levels])
        inside = (left > 0) & (right > 0) & (reach > low) & (reach <= high) & ((b - a) < best)
        best = torch.where(inside, torch.full_like(best, b - a), best)
        classes[inside] = 0.0
        classes[inside, seg.label] = 1.0
        distances[inside] = torch.stack([left, right], -1)[inside]
    return classes, distances, torch.isfinite(best)


def focal_loss(logits: torch.Tensor, targets: torch.Tensor, alpha: float = 0.25, gamma: float = 2.0) -> torch.Tensor:
    """Sigmoid focal loss (Lin et al. 2017), summed."""
    p = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    weight = alpha * targets + (1 - alpha) * (1 - targets)
    return (weight * ce * (1 - p_t) ** gamma).sum()


def iou_loss(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """1 - temporal IoU of segments given as (start, end) distances from the same centre, summed."""
    inter = torch.minimum(predicted, target).sum(-1)
    union = torch.maximum(predicted, target).sum(-1)
    return (1 - inter / union.clamp_min(1e-6)).sum()


def step_labels(segments: Sequence[Segment], steps: int, frames_per_step: float, num_classes: int) -> torch.Tensor:
    """(steps,) int64 action of each time step (the segment covering its centre), num_classes = background."""
    labels = torch.full((steps,), num_classes, dtype=torch.long)
    centres = (torch.arange(steps) + 0.5) * frames_per_step
    for seg in segments:
        labels[(centres >= seg.start) & (centres < seg.end)] = seg.label
    return labels


def detection_loss(output, batch_segments: Sequence[Sequence[Segment]], frames_per_step: float,
                   num_classes: int) -> torch.Tensor:
    """Focal classification + IoU regression loss of an STPTOutput for a batch, per positive position, plus
    (when the output has step logits) the cross-entropy of every time step's action-or-background label."""
    cls_total, reg_total, positives = 0.0, 0.0, 0
    dense = 0.0
    if output.step_logits is not None:
        steps = output.step_logits.shape[1]
        labels = torch.stack([step_labels(s, steps, frames_per_step, num_classes) for s in batch_segments])
        dense = F.cross_entropy(output.step_logits.reshape(-1, num_classes + 1), labels.view(-1).to(
            output.step_logits.device))
    for b, segments in enumerate(batch_segments):
        classes, distances, positive = assign_targets(segments, output.centres.cpu(), output.levels.cpu(),
                                                      frames_per_step, num_classes)
        cls_total = cls_total + focal_loss(output.logits[b], classes.to(output.logits.device))
        if positive.any():
            mask = positive.to(output.logits.device)
            reg_total = reg_total + iou_loss(output.distances[b][mask], distances.to(output.logits.device)[mask])
        positives += int(positive.sum())
    return (cls_total + reg_total) / max(positives, 1) + dense


@torch.no_grad()
def detect(model, frames: np.ndarray, *, first_frame: float = 0.0, frame_stride: float | None = None,
           score_threshold: float = 0.05, nms_iou: float = 0.4) -> list[Detection]:
    """Run the detector on one window of (T, H, W, 3) uint8 frames; segments in source frames after NMS."""
    stride = model.frame_stride if frame_stride is None else frame_stride
    output = model(to_input(frames, model.image_size)[None])
    dets = decode_detections(output.logits[0].sigmoid().numpy(), output.distances[0].numpy(),
                             output.centres.numpy(), frame_scale=model.tubelet[0] * stride, offset=first_frame,
                             score_threshold=score_threshold)
    return nms_1d(dets, iou_threshold=nms_iou)


def evaluate(model, seeds: Sequence[int], *, thresholds: Sequence[float] = (0.3, 0.4, 0.5, 0.6, 0.7)
             ) -> dict[float, float]:
    """Detection mAP per tIoU threshold of `model` on one window of each toy video in `seeds`."""
    model.eval()
    predictions, truths = [], []
    for seed in seeds:
        clip = toy_window(seed, num_frames=model.num_frames, frame_stride=model.frame_stride, size=model.image_size)
        predictions.append(detect(model, clip.frames))
        truths.append(list(clip.segments))
    return mean_average_precision(predictions, truths, thresholds)

