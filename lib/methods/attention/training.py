"""Training the STPT-style detectors on toy-world videos (scripts/train_stpt.py): data, loss stream, report.

    model = build("local")                                        # or "global": the all-global twin
    videos = training_videos(400, model, cache="videos.npz")      # LongToyVideo seeds SEEDS.train(400)
    fit(model, detection_losses(model, videos, rng, steps=1200, batch=8), optimiser, schedule)
    print(held_out_report(model, 48))                             # mAP on SEEDS.held_out(48)

Every training video has EXTRA input frames more than one window (80 = 320 source frames); each step
draws `batch` videos, a random window start in 0..EXTRA and a left-right mirror with probability 1/2,
all from one numpy Generator, in that order (the order fixes what the bundled models were trained on).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from lib.methods.attention.data import (
    SEEDS,
    DetectionClip,
    crop_window,
    detection_loss,
    evaluate,
    mirrored,
    to_input,
    toy_video,
)
from lib.methods.attention.detection import Segment
from lib.methods.attention.model import STPT

EXTRA = 16  # input frames beyond one window in every training video: room for random window starts


def build(variant: str, *, motion: bool = True) -> STPT:
    """The bundled architecture; "local": two windowed stages then global, "global": global everywhere."""
    return STPT(local_stages=2 if variant == "local" else 0, motion_channels=motion)


def training_videos(count: int, model: STPT, *, extra: int = EXTRA, cache: str | Path | None = None
                    ) -> list[DetectionClip]:
    """Training videos of model.num_frames + extra input frames from seeds SEEDS.train(count).

    cache: an npz written after rendering and read back next time when it holds `count` videos (it only
    saves time: the frames are the same).
    """
    if cache and Path(cache).is_file():
        data = np.load(cache, allow_pickle=False)
        frames = data["frames"]  # one read: every data[...] access decompresses the array again
        if len(frames) == count:
            segments = [tuple(Segment(int(a), int(b), int(c)) for a, b, c in data[f"segments_{k}"])
                        for k in range(count)]
            return [DetectionClip(frames[k], segments[k], 0, model.frame_stride) for k in range(count)]
    videos = [toy_video(seed, num_frames=model.num_frames + extra, frame_stride=model.frame_stride,
                        size=model.image_size) for seed in SEEDS.train(count)]
    if cache:
        arrays = {f"segments_{k}": np.array([[s.start, s.end, s.label] for s in v.segments], np.int64).reshape(-1, 3)
                  for k, v in enumerate(videos)}
        np.savez(cache, frames=np.stack([v.frames for v in videos]), **arrays)
    return videos


def draw_batch(videos: Sequence[DetectionClip], rng: np.random.Generator, num_frames: int, batch: int, *,
               extra: int = EXTRA) -> list[DetectionClip]:
    """`batch` random windows of `num_frames` input frames, each mirrored left-right with probability 1/2."""
    clips = []
    for k in rng.integers(len(videos), size=batch):
        clip = crop_window(videos[k], int(rng.integers(extra + 1)), num_frames)
        clips.append(mirrored(clip) if rng.random() < 0.5 else clip)
    return clips


def detection_losses(model: STPT, videos: Sequence[DetectionClip], rng: np.random.Generator, *, steps: int,
                     batch: int, extra: int = EXTRA) -> Iterator[torch.Tensor]:
    """One detection loss per step (for lib.training.fit), each on a fresh batch from `draw_batch`."""
    for _ in range(steps):
        clips = draw_batch(videos, rng, model.num_frames, batch, extra=extra)
        pixels = torch.stack([to_input(c.frames, model.image_size) for c in clips])  # (B, T, 3, S, S)
        yield detection_loss(model(pixels), [c.segments for c in clips], model.frames_per_step, model.num_classes)


def held_out_report(model: STPT, count: int) -> str:
    """One line: detection mAP per tIoU threshold and their 0.3:0.7 average on `count` held-out toy videos."""
    scores = evaluate(model, SEEDS.held_out(count))
    average = float(np.mean(list(scores.values())))
    return (f"held-out mAP ({count} toy videos): " + ", ".join(f"@{t:.1f}={v:.3f}" for t, v in scores.items())
            + f", avg(0.3:0.7)={average:.3f}")
