"""What the alternatives cost and keep: token budgets, average pooling at equal budget, reconstruction error.

Budgets (tokens handed to the language model for one video of T frames x P patches):
  raw          T * P                                   every patch of every sampled frame
  LongVLM      G + S * K                               global tokens + K merged tokens per segment
  Video-ChatGPT T + P                                  spatial pooling (one token per frame, averaged over
                                                       patches) + temporal pooling (one per patch position,
                                                       averaged over frames) (Maaz et al. 2023)
  8 frames     8 * P                                   uniform sampling of 8 frames, all patches
  LLaVA-OneVision  T * ceil(h/2) * ceil(w/2)           SigLIP towers only: each frame's h x w patch grid
                                                       bilinearly pooled 2x, as LLaVA-OneVision feeds video
                                                       frames to its LLM (/work/shared/CHECKPOINTS.md, SigLIP)
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Budget:
    """One way of feeding a video to an LLM: its name, token count and how the count is made."""

    name: str
    tokens: int
    formula: str


def token_budgets(num_frames: int, patches_per_frame: int, num_segments: int, tokens_per_segment: int,
                  num_global: int, *, uniform_frames: int = 8, llava_onevision_grid: tuple[int, int] | None = None
                  ) -> list[Budget]:
    """The budgets above for T = num_frames frames of P = patches_per_frame patches; the LLaVA-OneVision row
    only when `llava_onevision_grid` (the tower's patch grid) is given."""
    t, p = num_frames, patches_per_frame
    extra = []
    if llava_onevision_grid is not None:
        h, w = (math.ceil(side / 2) for side in llava_onevision_grid)
        extra = [Budget("LLaVA-OneVision frame pooling", t * h * w,
                        f"{t} frames x {h}x{w} (each frame's patch grid pooled 2x)")]
    return [
        Budget("raw tokens", t * p, f"{t} frames x {p} patches"),
        Budget("LongVLM", num_global + num_segments * tokens_per_segment,
               f"{num_global} global + {num_segments} segments x {tokens_per_segment}"),
        Budget("Video-ChatGPT pooling", t + p, f"{t} spatially pooled + {p} temporally pooled"),
        Budget(f"uniform {uniform_frames} frames", min(uniform_frames, t) * p,
               f"{min(uniform_frames, t)} frames x {p} patches"),
        *extra,
    ]


def pooling_grid(frames: int, height: int, width: int, tokens: int) -> tuple[int, int, int]:
    """(t, h, w) cells with t * h * w == tokens (t <= frames, h <= height, w <= width) whose cells are the
    most cube-like in (frame, row, column) units; falls back to the closest product below `tokens`."""
    for budget in range(tokens, 0, -1):
        best, best_cost = None, math.inf
        for t in range(1, min(frames, budget) + 1):
            if budget % t:
                continue
            for h in range(1, min(height, budget // t) + 1):
                if (budget // t) % h:
                    continue
                w = budget // t // h
                if w > width:
                    continue
                cells = np.log([frames / t, height / h, width / w])
                cost = float(((cells - cells.mean()) ** 2).sum())
                if cost < best_cost:
                    best, best_cost = (t, h, w), cost
        if best is not None:
            return best
    raise ValueError(f"no pooling grid for {tokens} tokens")  # unreachable for tokens >= 1


def pool_reconstruct(features: torch.Tensor, grid_hw: tuple[int, int], tokens: int) -> np.ndarray:
    """Average-pool a segment (F, P, C) to about `tokens` cells, then copy each cell mean back to its patches.

    P must equal grid_hw[0] * grid_hw[1]. Returns (F * P, C) float32, the pooled reconstruction.
    """
    frames, patches, channels = features.shape
    gh, gw = grid_hw
    if gh * gw != patches:
        raise ValueError(f"grid {grid_hw} does not hold {patches} patches")
    t, h, w = pooling_grid(frames, gh, gw, tokens)
    volume = features.float().reshape(frames, gh, gw, channels).permute(3, 0, 1, 2)[None]  # (1, C, F, gh, gw)
    pooled = F.adaptive_avg_pool3d(volume, (t, h, w))
    # nearest upsampling puts every patch back in the cell adaptive pooling averaged it into
    rows = torch.div(torch.arange(frames) * t, frames, rounding_mode="floor")
    ys = torch.div(torch.arange(gh) * h, gh, rounding_mode="floor")
    xs = torch.div(torch.arange(gw) * w, gw, rounding_mode="floor")
    back = pooled[0][:, rows][:, :, ys][:, :, :, xs]  # (C, F, gh, gw)
    return back.permute(1, 2, 3, 0).reshape(frames * patches, channels).numpy()


def relative_error(original: np.ndarray, reconstruction: np.ndarray) -> float:
    """||x - x_hat||^2 / ||x - mean(x)||^2 over all rows: 0 = perfect, 1 = as bad as one mean vector."""
    x = np.asarray(original, dtype=np.float64)
    err = ((x - np.asarray(reconstruction, dtype=np.float64)) ** 2).sum()
    spread = ((x - x.mean(axis=0, keepdims=True)) ** 2).sum()
    return float(err / max(spread, 1e-12))


def segment_similarity(segment_tokens: list[np.ndarray]) -> np.ndarray:
    """(S, S) symmetric Chamfer cosine similarity between segments' merged token sets, values in [-1, 1].

    sim(i, j) = (mean over i's tokens of their best cosine in j + the same from j to i) / 2, so two
    segments showing the same scene score near 1 even though their token order is arbitrary.
    """
    normed = [x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8) for x in segment_tokens]
    n = len(normed)
    sim = np.eye(n)
    for i, j in itertools.combinations(range(n), 2):
        cos = normed[i] @ normed[j].T
        sim[i, j] = sim[j, i] = 0.5 * (cos.max(axis=1).mean() + cos.max(axis=0).mean())
    return sim
