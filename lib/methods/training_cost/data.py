"""The batch every training-cost measurement trains on: toy-world clips or views of the chosen clip."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch

from lib.errors import UserInputError
from lib.examples import EXAMPLES_DIR, identify_example
from lib.toyworld import ACTION_NAMES, ToyWorldConfig, generate_clip


@dataclass(frozen=True)
class TrainingBatch:
    """A labelled batch of clips.

    frames: (B, T, S, S, 3) uint8 RGB.
    labels: (B,) int64 ids into ACTION_NAMES.
    source: one line saying where the clips and labels came from.
    """

    frames: np.ndarray
    labels: np.ndarray
    source: str

    @property
    def batch_size(self) -> int:
        return int(self.frames.shape[0])

    def tensors(self, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
        """video (B, 3, T, S, S) float32 in [0, 1] and labels (B,) int64."""
        video = torch.from_numpy(self.frames).permute(0, 4, 1, 2, 3).float().div_(255.0)
        return video.contiguous().to(device), torch.from_numpy(self.labels).to(device)


def toy_batch(batch_size: int, num_frames: int, size: int, *, seed: int = 0) -> TrainingBatch:
    """`batch_size` toy-world clips (seeds seed, seed+1, ...) labelled with their main actor's action."""
    config = ToyWorldConfig(height=size, width=size, num_frames=num_frames)
    clips = [generate_clip(seed + i, config) for i in range(batch_size)]
    return TrainingBatch(frames=np.stack([c.frames for c in clips]),
                         labels=np.array([c.action for c in clips], dtype=np.int64),
                         source=f"{batch_size} toy-world clips (seeds {seed}..{seed + batch_size - 1}), "
                                "labelled with their actions")


def _square(frames: np.ndarray, size: int, crop: float, dx: float, dy: float, flip: bool) -> np.ndarray:
    """Square crop (side = crop * short side, offset dx, dy in [-1, 1] of the slack) resized to size."""
    _, h, w, _ = frames.shape
    side = max(1, int(round(min(h, w) * crop)))
    top = int(round((h - side) * (dy + 1) / 2))
    left = int(round((w - side) * (dx + 1) / 2))
    out = np.stack([cv2.resize(f[top:top + side, left:left + side], (size, size), interpolation=cv2.INTER_AREA)
                    for f in frames])
    return out[:, :, ::-1] if flip else out


def clip_batch(frames: np.ndarray, label: int, batch_size: int, size: int, *, seed: int = 0,
               source: str = "the chosen clip") -> TrainingBatch:
    """`batch_size` augmented views (random square crops, every second one mirrored) of one clip.

    frames: (T, H, W, 3) uint8, already sampled to the frame count the model takes.
    """
    if frames.ndim != 4 or min(frames.shape[1:3]) < 8:
        raise UserInputError("The video is too small to train on; choose one at least 8 pixels on each side.")
    rng = np.random.default_rng(seed)
    views = [_square(frames, size, crop=1.0 if i == 0 else float(rng.uniform(0.75, 1.0)),
                     dx=float(rng.uniform(-1, 1)), dy=float(rng.uniform(-1, 1)), flip=bool(i % 2))
             for i in range(batch_size)]
    return TrainingBatch(frames=np.ascontiguousarray(np.stack(views)),
                         labels=np.full(batch_size, label, dtype=np.int64),
                         source=f"{batch_size} augmented views of {source}, label '{ACTION_NAMES[label]}'")


def label_for_video(path: str | Path | None, manifest: Path = EXAMPLES_DIR / "manifest.json") -> tuple[int, str]:
    """(action id, where it came from) for a video: the bundled example's action, else class 0.

    A file is an example by its content (lib.examples.identify_example), never by its name: an upload
    called toy_bounce.mp4 is not given that example's label. An uploaded video has no label; the step
    still trains towards class 0, which is enough to measure what a step costs (the loss then shows how
    fast the model fits that one target).
    """
    example = identify_example(path) if path else None
    if example is not None and manifest.exists():
        entries = json.loads(manifest.read_text())
        entries = entries["examples"] if isinstance(entries, dict) else entries
        for entry in entries:
            if entry.get("file") == example.path.name and entry.get("action") in ACTION_NAMES:
                return ACTION_NAMES.index(entry["action"]), "the example's action"
    return 0, f"no label known, trained towards '{ACTION_NAMES[0]}'"
