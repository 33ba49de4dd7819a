"""Bipartite soft matching (ToMe), size-weighted merging, source tracing and unmerging.

After Bolya et al., "Token Merging: Your ViT but Faster" (ICLR 2023) and facebookresearch/ToMe
`tome/merge.py` (bipartite_soft_matching, merge_wavg, merge_source); written from scratch, not copied.
Two deliberate differences:
  * protected tokens (a CLS token, global tokens) are split off before matching and put back in
    front afterwards, instead of ToMe's -inf score row, so they can never be merged by construction;
  * source tracing keeps an integer map "source patch -> current token" (B, N0) instead of a dense
    (B, N, N0) one-hot matrix: same information, N times less memory on long segments.

Shapes: B batch, N tokens now, C channels, r tokens removed in one step, N0 tokens at the start.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Matching:
    """One bipartite matching step on N tokens (the first `protected` of which are never merged).

    After the protected prefix, the tokens are split alternately into A (even positions) and B (odd).
    unm_idx: (B, nA - r) int64 positions in A that stay unmerged, ordered by their best score (descending).
    src_idx: (B, r) positions in A that are merged away.
    dst_idx: (B, r) positions in B each src token merges into.
    The merged sequence is [protected; A[unm_idx]; B] of length N - r.
    """

    unm_idx: torch.Tensor
    src_idx: torch.Tensor
    dst_idx: torch.Tensor
    num_tokens: int
    protected: int

    @property
    def r(self) -> int:
        return int(self.src_idx.shape[1])

    @property
    def num_out(self) -> int:
        return self.num_tokens - self.r

    def merge(self, x: torch.Tensor, mode: str = "mean") -> torch.Tensor:
        """(B, N, C) -> (B, N - r, C); src rows reduced into their dst rows with `mode` ("sum", "mean", "amax")."""
        protected, rest = x[:, : self.protected], x[:, self.protected :]
        a, b = rest[:, ::2], rest[:, 1::2]
        channels = x.shape[-1]
        unm = a.gather(1, self.unm_idx[..., None].expand(-1, -1, channels))
        src = a.gather(1, self.src_idx[..., None].expand(-1, -1, channels))
        dst = b.scatter_reduce(1, self.dst_idx[..., None].expand(-1, -1, channels), src, reduce=mode)
        return torch.cat([protected, unm, dst], dim=1)

    def token_map(self) -> torch.Tensor:
        """(B, N) int64: the position in the merged sequence (0..N-r-1) that each input token went to."""
        batch = self.unm_idx.shape[0]
        device = self.unm_idx.device
        n_rest = self.num_tokens - self.protected
        n_a, n_b = (n_rest + 1) // 2, n_rest // 2
        n_unm = n_a - self.r
        out = torch.empty(batch, self.num_tokens, dtype=torch.long, device=device)
        out[:, : self.protected] = torch.arange(self.protected, device=device)
        a_map = torch.empty(batch, n_a, dtype=torch.long, device=device)
        base = self.protected
        a_map.scatter_(1, self.unm_idx, base + torch.arange(n_unm, device=device).expand(batch, -1))
        a_map.scatter_(1, self.src_idx, base + n_unm + self.dst_idx)
        out[:, self.protected :: 2] = a_map
        out[:, self.protected + 1 :: 2] = base + n_unm + torch.arange(n_b, device=device).expand(batch, -1)
        return out

    def unmerge(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N - r, C) -> (B, N, C): every input position gets the merged token it went into."""
        index = self.token_map()
        return x.gather(1, index[..., None].expand(-1, -1, x.shape[-1]))


def bipartite_soft_matching(metric: torch.Tensor, r: int, *, protected: int = 0) -> Matching:
    """Match (B, N, C) tokens by cosine similarity and pick the r most similar A->B pairs to merge.

    r is capped at half of the unprotected tokens (each B token can absorb several A tokens, but
    at most |A| = ceil(n/2) can leave, and ToMe caps at floor(n/2)). r <= 0 gives a no-op matching.
    """
    if metric.ndim != 3:
        raise ValueError(f"metric must be (B, N, C), got shape {tuple(metric.shape)}")
    batch, num_tokens, _ = metric.shape
    if not 0 <= protected <= num_tokens:
        raise ValueError(f"protected must be in 0..{num_tokens}, got {protected}")
    n_rest = num_tokens - protected
    r = max(0, min(int(r), n_rest // 2))
    n_a = (n_rest + 1) // 2
    device = metric.device
    if r == 0:
        empty = torch.empty(batch, 0, dtype=torch.long, device=device)
        unm = torch.arange(n_a, device=device).expand(batch, -1).contiguous()
        return Matching(unm, empty, empty, num_tokens, protected)
    with torch.no_grad():
        rest = F.normalize(metric[:, protected:].float(), dim=-1)
        a, b = rest[:, ::2], rest[:, 1::2]
        scores = a @ b.transpose(-1, -2)  # (B, nA, nB) cosine similarities
        best_score, best_b = scores.max(dim=-1)  # (B, nA)
        order = best_score.argsort(dim=-1, descending=True)
        src_idx, unm_idx = order[:, :r], order[:, r:]
        dst_idx = best_b.gather(1, src_idx)
    return Matching(unm_idx, src_idx, dst_idx, num_tokens, protected)


def merge_wavg(matching: Matching, x: torch.Tensor, size: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """Size-weighted average merge: x' = sum(s * x) / sum(s), s' = sum(s).

    x: (B, N, C); size: (B, N, 1) tokens each row stands for (None = all ones).
    Returns (B, N - r, C) and (B, N - r, 1).
    """
    if size is None:
        size = torch.ones_like(x[..., :1])
    merged = matching.merge(torch.cat([x * size, size], dim=-1), mode="sum")  # one gather/scatter for both
    new_size = merged[..., -1:]
    return merged[..., :-1] / new_size, new_size


def trace_sources(matching: Matching, assignment: torch.Tensor | None) -> torch.Tensor:
    """Update source tracing: (B, N0) current-token index of every original token -> after this step.

    `assignment` None means the tokens are still the original ones (the identity map).
    Returns (B, N0) int64 with values in 0..N-r-1.
    """
    step_map = matching.token_map()  # (B, N)
    if assignment is None:
        return step_map
    return step_map.gather(1, assignment)


def source_matrix(assignment: torch.Tensor, num_tokens: int) -> torch.Tensor:
    """(B, N0) assignment -> (B, num_tokens, N0) one-hot float source matrix, as ToMe's `source`."""
    return F.one_hot(assignment, num_tokens).transpose(1, 2).float()


def halving_schedule(num_tokens: int, target: int) -> list[int]:
    """LongVLM's r list for going from num_tokens to target: halve while possible, then the remainder.

    Each r is at most floor(t/2), so 2560 -> 30 gives [1280, 640, 320, 160, 80, 40, 10].
    """
    if not 1 <= target <= num_tokens:
        raise ValueError(f"target must be in 1..{num_tokens}, got {target}")
    schedule, t = [], num_tokens
    while t > target:
        r = min(t // 2, t - target)
        if r == 0:  # a single token cannot halve
            break
        schedule.append(r)
        t -= r
    return schedule


def pseudo_head_metric(x: torch.Tensor, num_heads: int = 16) -> torch.Tensor:
    """LongVLM's matching metric: (B, N, C) -> (B, N, C / num_heads), the mean over `num_heads` channel groups.

    C must be divisible by num_heads (CLIP-L: 1024 = 16 x 64); other widths fall back to the largest
    divisor of C not above num_heads.
    """
    channels = x.shape[-1]
    heads = max(h for h in range(1, min(num_heads, channels) + 1) if channels % h == 0)
    return x.reshape(*x.shape[:-1], heads, channels // heads).mean(dim=-2)
