"""Recorded attention of one layer, in the layout the model produced, with rows read out on demand.

Dense (N, N) matrices for every head of every layer do not fit in memory for big video models
(VideoMAE-B: 12 x 12 x 1568^2 floats), so each `LayerAttention` keeps its maps as recorded (fp16)
and builds a row or one dense matrix only when asked:

    kind "global": maps (heads, N, N)              every token attends to every token
    kind "local":  maps (nW, heads, n, n)          attention inside 3-D windows (STPT early stages)
    kind "time":   maps (H*W, heads, T, T)         TimeSformer's temporal attention (same patch, all frames)
    kind "space":  maps (T, heads, 1+H*W, 1+H*W)   TimeSformer's spatial attention (same frame); the CLS
                                                   token is dropped and rows renormalised over patches
`grid` gives the token geometry in the model's input pixels (prefix tokens, e.g. CLS, included for
"global"); N = grid.num_tokens.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lib.hooks import TokenGrid
from lib.methods.attention.windows import window_token_indices

KINDS = ("global", "local", "time", "space")


@dataclass(frozen=True)
class LayerAttention:
    """Attention probabilities of one layer for one clip (batch of one); see the module docstring."""

    name: str
    kind: str
    grid: TokenGrid
    maps: np.ndarray
    window: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if self.kind == "local" and self.window is None:
            raise ValueError("a local layer needs its window")
        if self.maps.ndim != 4 and not (self.kind == "global" and self.maps.ndim == 3):
            raise ValueError(f"unexpected maps shape {self.maps.shape} for kind {self.kind}")

    @property
    def num_heads(self) -> int:
        return int(self.maps.shape[0] if self.kind == "global" else self.maps.shape[1])

    @property
    def num_tokens(self) -> int:
        return self.grid.num_tokens

    @property
    def nbytes(self) -> int:
        return int(self.maps.nbytes)

    def _head(self, block: np.ndarray, head: int | None, axis: int) -> np.ndarray:
        # pick the head before widening fp16 -> fp32: converting every head to read one cost 12x the time
        if head is not None:
            return np.take(block, head, axis=axis).astype(np.float32)
        # the head mean in torch (threaded, widening while summing): 1.7x numpy's astype + mean on VideoMAE-B's maps
        mean = torch.from_numpy(np.ascontiguousarray(block)).sum(axis, dtype=torch.float32)
        return mean.div_(block.shape[axis]).numpy()

    def row(self, query: int, head: int | None = None) -> np.ndarray:
        """(N,) float32 attention of token `query` over all tokens (head None = mean of heads); sums to 1."""
        n = self.num_tokens
        out = np.zeros(n, np.float32)
        if self.kind == "global":
            out[:] = self._head(self.maps[:, query], head, 0)
            return out
        t, h, w = self.grid.coords(query)
        g = self.grid
        if self.kind == "local":
            index = window_token_indices((g.t, g.h, g.w), self.window)
            k, pos = np.argwhere(index == query - g.num_prefix)[0]
            out[g.num_prefix + index[k]] = self._head(self.maps[k, :, pos], head, 0)
        elif self.kind == "time":
            p = h * g.w + w
            cols = g.num_prefix + np.arange(g.t) * g.h * g.w + p
            out[cols] = self._head(self.maps[p, :, t], head, 0)
        else:  # space
            weights = self._head(self.maps[t, :, 1 + h * g.w + w, 1:], head, 0)
            cols = g.num_prefix + t * g.h * g.w + np.arange(g.h * g.w)
            out[cols] = weights / max(float(weights.sum()), 1e-12)
        return out

    def dense(self, head: int | None = None) -> np.ndarray:
        """(N, N) float32 matrix of this layer's attention (head None = mean of heads); rows sum to 1."""
        g = self.grid
        n = self.num_tokens
        if self.kind == "global":
            return np.ascontiguousarray(self._head(self.maps, head, 0))
        full = np.zeros((n, n), np.float32)
        p0 = g.num_prefix
        if self.kind == "local":
            index = window_token_indices((g.t, g.h, g.w), self.window) + p0
            for k in range(index.shape[0]):
                full[np.ix_(index[k], index[k])] = self._head(self.maps[k], head, 0)
        elif self.kind == "time":  # patch p of frame t attends to patch p of every frame: one scatter for all p
            cells = g.h * g.w
            tokens = p0 + np.arange(g.t)[None, :] * cells + np.arange(cells)[:, None]  # (H*W, T)
            full[tokens[:, :, None], tokens[:, None, :]] = self._head(self.maps, head, 1)
        else:  # space: a block per frame, CLS dropped and rows renormalised
            cells = g.h * g.w
            block = self._head(self.maps[:, :, 1:, 1:], head, 1)  # (T, H*W, H*W)
            block = block / np.maximum(block.sum(-1, keepdims=True), 1e-12)
            tokens = p0 + np.arange(g.t)[:, None] * cells + np.arange(cells)[None, :]  # (T, H*W)
            full[tokens[:, :, None], tokens[:, None, :]] = block
        return full

    def query_volume(self, query: int, head: int | None = None) -> np.ndarray:
        """(t, h, w) float32: where token `query` attends, on this layer's grid (prefix tokens dropped)."""
        return self.grid.to_volume(self.row(query, head))


def estimate_dense_bytes(num_tokens: int, num_heads: int, num_layers: int, *, itemsize: int = 2) -> int:
    """Bytes to hold `num_layers` dense (heads, N, N) attention maps at `itemsize` bytes per value."""
    return int(num_layers) * int(num_heads) * int(num_tokens) ** 2 * int(itemsize)
