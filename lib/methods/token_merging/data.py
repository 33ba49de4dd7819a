"""Toy-world frames with per-patch targets, for training and evaluating the FrameViT encoder.

SEEDS: toy clips 0, 1, ... train the encoder (SEEDS.train(n)); held-out evaluation and the benchmark use
seeds from 10_000_000 upwards (SEEDS.held_out(n)), which the training script never draws.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lib.models.preprocess import IMAGENET_MEAN, IMAGENET_STD
from lib.toyworld import SeedSplit, ToyWorldConfig, generate_clip, photo_pan_clip

SEEDS = SeedSplit(held_out_start=10_000_000, train_start=0)
FRAMES_PER_CLIP = (0, 3, 6)  # frames taken from each generated clip (apart, so they differ)


@dataclass(frozen=True)
class FrameSet:
    """N frames with targets at patch size p and colour sub-grid c.

    frames:   (N, S, S, 3) uint8.
    classes:  (N,) int64 main actor class (index into CLASS_NAMES); -100 where unknown (photographs).
    semantic: (N, P) int64 majority class of each patch; -100 where unknown.
    colours:  (N, P, 3 * c * c) float32 mean colour of each patch's c x c sub-cells, in [-0.5, 0.5].
    """

    frames: np.ndarray
    classes: np.ndarray
    semantic: np.ndarray
    colours: np.ndarray

    def __len__(self) -> int:
        return int(self.frames.shape[0])


def patch_majority(semantic: np.ndarray, patch: int, num_classes: int = 7) -> np.ndarray:
    """(N, S, S) class map -> (N, P) majority class per patch (row-major patches)."""
    n, s, _ = semantic.shape
    g = s // patch
    blocks = semantic.reshape(n, g, patch, g, patch).transpose(0, 1, 3, 2, 4).reshape(n, g * g, patch * patch)
    counts = np.stack([(blocks == c).sum(-1) for c in range(num_classes)], axis=-1)
    return counts.argmax(-1).astype(np.int64)


def patch_colours(frames: np.ndarray, patch: int, cells: int) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, P, 3 * cells^2) mean colour of each patch's sub-cells, in [-0.5, 0.5]."""
    n, s, _, _ = frames.shape
    g, sub = s // patch, patch // cells
    x = frames.astype(np.float32).reshape(n, g, cells, sub, g, cells, sub, 3).mean(axis=(3, 6)) / 255.0 - 0.5
    return x.transpose(0, 1, 3, 2, 4, 5).reshape(n, g * g, cells * cells * 3)  # (N, P, cells*cells*3)


def make_frames(seeds: range | list[int], *, size: int = 96, patch: int = 8, cells: int = 2,
                photo_every: int = 10) -> FrameSet:
    """Frames FRAMES_PER_CLIP of toy clip `seed` for every seed; every `photo_every`-th seed also adds
    frames of a camera pan over a real photograph (targets: colours only)."""
    config = ToyWorldConfig(height=size, width=size, num_frames=max(FRAMES_PER_CLIP) + 1)
    frames, classes, semantic = [], [], []
    for seed in seeds:
        clip = generate_clip(int(seed), config)
        actor_class = clip.instance_classes[0]
        for t in FRAMES_PER_CLIP:
            frames.append(clip.frames[t])
            semantic.append(clip.semantic[t])
            classes.append(actor_class)
        if photo_every and int(seed) % photo_every == 0:
            photo = photo_pan_clip(max(FRAMES_PER_CLIP) + 1, size, size, seed=int(seed))
            for t in FRAMES_PER_CLIP:
                frames.append(photo.frames[t])
                semantic.append(np.full((size, size), 255, np.uint8))  # unknown
                classes.append(-100)
    frames_arr = np.stack(frames)
    sem = np.stack(semantic)
    majority = patch_majority(np.where(sem == 255, 0, sem), patch)
    unknown = (sem == 255).reshape(len(sem), -1).any(axis=1)
    majority[unknown] = -100
    return FrameSet(frames=frames_arr, classes=np.asarray(classes, dtype=np.int64), semantic=majority,
                    colours=patch_colours(frames_arr, patch, cells).astype(np.float32))


def normalise(frames: np.ndarray) -> torch.Tensor:
    """(N, S, S, 3) uint8 -> (N, 3, S, S) float32 normalised with ImageNet statistics (no resizing)."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    return (x - mean) / std


@torch.no_grad()
def evaluate(model: torch.nn.Module, data: FrameSet, *, r: int | list[int] = 0, batch: int = 128) -> dict[str, float]:
    """Held-out scores of a FrameViT at ToMe merge rate r: actor-class accuracy (from CLS) and patch
    semantic accuracy (merged tokens unmerged to their patches), both in [0, 1]."""
    model.eval()
    class_hits = class_total = patch_hits = patch_total = 0
    for start in range(0, len(data), batch):
        out = model(normalise(data.frames[start:start + batch]), r=r)
        classes = torch.from_numpy(data.classes[start:start + batch])
        semantic = torch.from_numpy(data.semantic[start:start + batch])
        known = classes >= 0
        class_hits += int((out["class_logits"].argmax(-1)[known] == classes[known]).sum())
        class_total += int(known.sum())
        known_p = semantic >= 0
        patch_hits += int((out["seg_logits"].argmax(-1)[known_p] == semantic[known_p]).sum())
        patch_total += int(known_p.sum())
    return {"class_accuracy": class_hits / max(class_total, 1), "patch_accuracy": patch_hits / max(patch_total, 1)}
