"""Toy-world action clips for the Tubes models: the main actor's motion pattern is the label.

Training and evaluation draw from disjoint seed ranges (SEEDS), so held-out scores are on clips never seen
in training. Generating a 32x64x64 clip takes ~0.2 s, so sets are cached as .npz when asked.

    clips, labels, seeds = load_split("held_out", 400, num_frames=32, source_size=64, size=48, cache_dir=...)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lib.toyworld import ACTION_NAMES, SeedSplit, ToyWorldConfig, generate_clip

if TYPE_CHECKING:
    import torch

TRAIN_SEED_BASE = 0  # training clips use seeds TRAIN_SEED_BASE + i
HELD_OUT_SEED_BASE = 1_000_000  # held-out clips, never used in training
SEEDS = SeedSplit(held_out_start=HELD_OUT_SEED_BASE, train_start=TRAIN_SEED_BASE)
# The bundled models are trained and scored on clips like the app's examples: the actor among distractors,
# under a moving camera (the label is the actor's motion relative to the background). Trained and scored on
# the actor alone under a still camera instead, they reach a higher held-out top-1 (TubeViT 72.8%, dense twin
# 92.5%) but name fewer of the examples' motions (see scripts/train_tubevit.py).
CAMERA_MOTION = True
SOLO = False  # False: distractor objects besides the main actor


def cache_name(split: str, count: int, camera_motion: bool = CAMERA_MOTION, solo: bool = SOLO) -> str:
    """File name of a cached clip set, e.g. "solo_train_3000.npz" (no camera motion, actor alone)."""
    tag = ("solo_" if solo else "still_") if not camera_motion else ("solo_moving_" if solo else "")
    return f"{tag}{split}_{count}.npz"


@dataclass(frozen=True)
class ActionClips:
    """frames (N, T, H, W, 3) uint8; labels (N,) int64 ACTION_NAMES ids; seeds (N,) int64."""

    frames: np.ndarray
    labels: np.ndarray
    seeds: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def toy_config(num_frames: int = 32, size: int = 64, camera_motion: bool = CAMERA_MOTION,
               solo: bool = SOLO) -> ToyWorldConfig:
    """The toy-world settings the bundled Tubes models are trained and evaluated on."""
    objects = dict(min_objects=1, max_objects=1) if solo else {}
    return ToyWorldConfig(height=size, width=size, num_frames=num_frames, camera_motion=camera_motion, **objects)


def action_clips(seeds: list[int] | np.ndarray, *, num_frames: int = 32, size: int = 64,
                 camera_motion: bool = CAMERA_MOTION, solo: bool = SOLO,
                 cache: str | Path | None = None) -> ActionClips:
    """Render one clip per seed (labels = the main actor's action); load/save `cache` (.npz) if given."""
    seeds = np.asarray(seeds, dtype=np.int64)
    if cache is not None and Path(cache).is_file():
        data = np.load(cache)
        if np.array_equal(data["seeds"], seeds) and data["frames"].shape[1:4] == (num_frames, size, size):
            return ActionClips(frames=data["frames"], labels=data["labels"], seeds=data["seeds"])
    config = toy_config(num_frames, size, camera_motion, solo)
    frames = np.empty((len(seeds), num_frames, size, size, 3), np.uint8)
    labels = np.empty(len(seeds), np.int64)
    for i, seed in enumerate(seeds):
        clip = generate_clip(int(seed), config)
        frames[i], labels[i] = clip.frames, clip.action
    result = ActionClips(frames=frames, labels=labels, seeds=seeds)
    if cache is not None:
        Path(cache).parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, frames=frames, labels=labels, seeds=seeds)
    return result


def resize_clips(frames: np.ndarray, size: int, chunk: int = 64) -> torch.Tensor:
    """(N, T, H, W, 3) uint8 -> (N, 3, T, size, size) uint8 tensor, scaled with antialiasing like
    lib.models.preprocess.video_to_tensor (square clips, so nothing is cropped)."""
    import torch
    import torch.nn.functional as F

    n, t, h, w, _ = frames.shape
    out = torch.empty((n, 3, t, size, size), dtype=torch.uint8)
    for i in range(0, n, chunk):
        part = torch.from_numpy(frames[i:i + chunk]).reshape(-1, h, w, 3).permute(0, 3, 1, 2).float()
        if (h, w) != (size, size):
            part = F.interpolate(part, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
        part = part.round_().clamp_(0, 255).to(torch.uint8).reshape(-1, t, 3, size, size)
        out[i:i + chunk] = part.permute(0, 2, 1, 3, 4)
    return out


def load_split(split: str, count: int, *, num_frames: int, source_size: int, size: int,
               camera_motion: bool = CAMERA_MOTION, solo: bool = SOLO, cache_dir: str | Path | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """The first `count` clips of `split` ("train" or "held_out", seeds from SEEDS), rendered at `source_size`
    and scaled to `size`: (clips (N, 3, T, size, size) uint8, labels (N,) int64, seeds (N,) int64).
    Cached under `cache_dir` as cache_name(split, count, ...) when given."""
    import torch

    seeds = {"train": SEEDS.train, "held_out": SEEDS.held_out}[split](count)
    cache = None if cache_dir is None else Path(cache_dir) / cache_name(split, count, camera_motion, solo)
    data = action_clips(seeds, num_frames=num_frames, size=source_size, camera_motion=camera_motion, solo=solo,
                        cache=cache)
    return resize_clips(data.frames, size), torch.from_numpy(data.labels), data.seeds


NUM_ACTIONS = len(ACTION_NAMES)
