"""LongVLM's local tokens: hierarchical bipartite merging inside each segment, segments kept in order.

Following LongVLM (Weng et al., ECCV 2024; ziplab/LongVLM `longvlm/model/merge.py` merge_tokens, read not
copied): a segment of F frames x P patches (F*P tokens) is merged step by step with bipartite soft
matching, r capped at half, size-weighted averages carried across steps, until `target` tokens remain. The
metric is either the features averaged over 16 pseudo-heads (LongVLM) or the encoder's attention
keys (ToMe), merged alongside the features. Source tracing records, at every step, which merged token
each original patch belongs to, so every token knows its sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from lib.methods.token_merging.merging import (
    bipartite_soft_matching,
    halving_schedule,
    merge_wavg,
    pseudo_head_metric,
    trace_sources,
)

Metric = Literal["pseudo_heads", "keys"]
METRICS: tuple[str, ...] = ("pseudo_heads", "keys")


@dataclass(frozen=True)
class SegmentMerge:
    """One segment merged down to K tokens.

    tokens:      (K, C) float32 merged features (size-weighted means of their sources).
    sizes:       (K,) int64 number of source patches of each token; sums to F * P.
    assignment:  (F * P,) int64 final token of every source patch (frame-major: index = f * P + p).
    steps:       (S + 1, F * P) int64 assignment after each of the S merge steps (row 0: identity).
    counts:      (S + 1,) int64 tokens after each step (counts[0] = F * P, counts[-1] = K).
    frames:      F; patches: P.
    Tokens are ordered by the mean index of their sources when `sort_by_source` was set (the order
    ToMe leaves is arbitrary), otherwise in ToMe's output order.
    """

    tokens: np.ndarray
    sizes: np.ndarray
    assignment: np.ndarray
    steps: np.ndarray
    counts: np.ndarray
    frames: int
    patches: int

    @property
    def num_tokens(self) -> int:
        return int(self.tokens.shape[0])

    def frame_span(self) -> np.ndarray:
        """(K, 2) int64 first and last frame (0..F-1 within the segment) each token draws patches from."""
        frame_of = np.arange(self.frames * self.patches) // self.patches
        first = np.full(self.num_tokens, self.frames, dtype=np.int64)
        last = np.full(self.num_tokens, -1, dtype=np.int64)
        np.minimum.at(first, self.assignment, frame_of)
        np.maximum.at(last, self.assignment, frame_of)
        return np.stack([first, last], axis=1)

    def unmerge(self) -> np.ndarray:
        """(F * P, C): every source patch replaced by the merged token it belongs to."""
        return self.tokens[self.assignment]


def _sort_by_source(tokens: torch.Tensor, sizes: torch.Tensor, assignment: torch.Tensor
                    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Reorder K tokens by the mean index of their sources (ToMe leaves them in arbitrary order).

    Returns the reordered tokens, sizes and assignment, and the rank (new position) of every old token.
    """
    k = tokens.shape[0]
    positions = torch.arange(assignment.numel(), dtype=torch.float64)
    mean_pos = torch.zeros(k, dtype=torch.float64).index_add_(0, assignment, positions) / sizes.double()
    order = mean_pos.argsort()
    rank = torch.empty_like(order)
    rank[order] = torch.arange(k)
    return tokens[order], sizes[order], rank[assignment], rank


def merge_segment(features: torch.Tensor, target: int, *, metric: Metric = "pseudo_heads",
                  keys: torch.Tensor | None = None, num_heads: int = 16, schedule: list[int] | None = None,
                  sort_by_source: bool = True) -> SegmentMerge:
    """Merge one segment's patch features (F, P, C) down to `target` tokens.

    metric "pseudo_heads": cosine similarity of the features averaged over `num_heads` channel groups.
    metric "keys": cosine similarity of `keys` (F, P, Ck), merged (size-weighted) alongside the features.
    schedule: r per step (default: halving_schedule(F * P, target)); each r is capped at half.
    """
    if features.ndim != 3:
        raise ValueError(f"features must be (frames, patches, channels), got {tuple(features.shape)}")
    frames, patches, channels = features.shape
    n0 = frames * patches
    if not 1 <= target <= n0:
        raise ValueError(f"target must be in 1..{n0} tokens, got {target}")
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if metric == "keys" and (keys is None or keys.shape[:2] != features.shape[:2]):
        raise ValueError("metric 'keys' needs keys of shape (frames, patches, Ck) matching the features")
    x = features.reshape(1, n0, channels).float()
    k = keys.reshape(1, n0, -1).float() if metric == "keys" else None
    size = torch.ones(1, n0, 1)
    assignment = torch.arange(n0).unsqueeze(0)
    steps, counts = [assignment[0].clone()], [n0]
    for r in schedule if schedule is not None else halving_schedule(n0, target):
        if x.shape[1] <= target:
            break
        r = min(r, x.shape[1] - target)
        m = bipartite_soft_matching(k if k is not None else pseudo_head_metric(x, num_heads), r)
        if m.r == 0:
            break
        if k is not None:
            k, _ = merge_wavg(m, k, size)
        x, size = merge_wavg(m, x, size)
        assignment = trace_sources(m, assignment)
        steps.append(assignment[0].clone())
        counts.append(x.shape[1])
    tokens, sizes, final = x[0], size[0, :, 0].round().long(), assignment[0]
    if sort_by_source:
        tokens, sizes, final, rank = _sort_by_source(tokens, sizes, final)
        steps[-1] = final.clone()
    return SegmentMerge(tokens=tokens.numpy().astype(np.float32), sizes=sizes.numpy(), assignment=final.numpy(),
                        steps=torch.stack(steps).numpy(), counts=np.asarray(counts, dtype=np.int64),
                        frames=frames, patches=patches)


def global_tokens(cls_states: torch.Tensor, num_global: int = 5) -> torch.Tensor:
    """LongVLM's global semantics: CLS of every hidden state (T, L, C) averaged over frames, last `num_global`.

    Returns (num_global, C) (fewer when the encoder has fewer states).
    """
    if cls_states.ndim != 3:
        raise ValueError(f"cls_states must be (frames, states, channels), got {tuple(cls_states.shape)}")
    if num_global <= 0:
        return cls_states.new_zeros(0, cls_states.shape[-1])
    return cls_states.float().mean(dim=0)[-num_global:]
