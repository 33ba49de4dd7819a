"""A tiny CNN that turns each moment of a video into a few tokens: the short-range encoder under ViS4mer.

ViS4mer runs a frozen ViT on each frame (197 tokens of 1024 channels) and hands the long token
sequence to its S4 decoder. Our toy stand-in sees a frame and the change to the next sampled frame
(motion is what tells the toy actions apart), and returns a 2x2 grid of tokens: (T, 4, dim).
It is trained on toy-world frames to name the actor's current action (scripts/train_long_range.py);
its tokens, not its guesses, are what the decoder reads.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lib.models.bundled import BundledModel


def frame_pairs(frames: np.ndarray | torch.Tensor, size: int) -> torch.Tensor:
    """(T+1, H, W, 3) uint8 frames -> (T, 6, size, size) float encoder input.

    Channels 0-2: frame t in [-1, 1]; channels 3-5: frame t+1 minus frame t, in [-2, 2].
    Frames are resized (bilinear, aspect ratio not kept: the encoder wants a square).
    """
    video = torch.as_tensor(np.asarray(frames)).permute(0, 3, 1, 2).float() / 127.5 - 1.0  # (T+1, 3, H, W)
    if video.shape[0] < 2:
        raise ValueError("need at least 2 frames to form a frame pair")
    if video.shape[-2:] != (size, size):
        video = F.interpolate(video, size=(size, size), mode="bilinear", align_corners=False, antialias=True)
    return torch.cat([video[:-1], video[1:] - video[:-1]], dim=1)


class ToyFrameEncoder(BundledModel):
    """(N, 6, S, S) frame pairs -> tokens (N, grid*grid, dim); `classify` -> per-pair action logits.

    S = image_size (64). Four stride-2 convolutions, then adaptive average pooling to a grid x grid map.
    """

    def __init__(self, image_size: int = 64, dim: int = 32, grid: int = 2, num_classes: int = 4,
                 class_names: list[str] | None = None) -> None:
        super().__init__()
        self.image_size = image_size
        self.grid = grid
        self.class_names = list(class_names or [str(i) for i in range(num_classes)])
        widths = [6, 16, 32, 48, dim]
        layers: list[nn.Module] = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            layers += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.BatchNorm2d(c_out), nn.GELU()]
        self.backbone = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(grid)
        self.classifier = nn.Linear(dim, num_classes)

    @property
    def tokens_per_frame(self) -> int:
        return self.grid * self.grid

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        maps = self.pool(self.backbone(pairs))  # (N, dim, grid, grid)
        return maps.flatten(2).transpose(1, 2)  # (N, grid*grid, dim)

    def classify(self, pairs: torch.Tensor) -> torch.Tensor:
        """(N, num_classes) logits of the action happening between the two frames."""
        return self.classifier(self(pairs).mean(dim=1))

    @torch.no_grad()
    def encode_video(self, frames: np.ndarray, *, batch_size: int = 128) -> torch.Tensor:
        """(T+1, H, W, 3) uint8 frames -> (T * tokens_per_frame, dim) float tokens, time-major
        (the T frames' token grids flattened in order, as ViS4mer flattens 60 frames x 197 tokens)."""
        pairs = frame_pairs(frames, self.image_size)
        device = next(self.parameters()).device
        chunks = [self(pairs[i:i + batch_size].to(device)) for i in range(0, len(pairs), batch_size)]
        return torch.cat(chunks).flatten(0, 1)
