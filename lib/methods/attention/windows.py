"""3-D local windows over a (T, H, W) token grid: partition, reverse, and scattering windowed attention.

STPT's early stages attend only inside local spatio-temporal windows (`window` = (wt, wh, ww)
tokens); the grid must be divisible by the window (our models choose sizes so it is). Token order
inside the grid is row-major (t, h, w), as everywhere in lib.hooks.TokenGrid.

    windows = window_partition(x, (4, 4, 4))     # (B, T, H, W, C) -> (B * nW, 64, C)
    x_again = window_reverse(windows, (4, 4, 4), (T, H, W))
"""
from __future__ import annotations

import numpy as np
import torch
from einops import rearrange

from lib.errors import UserInputError


def _check(grid: tuple[int, int, int], window: tuple[int, int, int]) -> None:
    if len(grid) != 3 or len(window) != 3:
        raise ValueError(f"grid and window must be (t, h, w), got {grid} and {window}")
    if any(w < 1 for w in window):
        raise ValueError(f"window sizes must be >= 1, got {window}")
    if any(g % w for g, w in zip(grid, window)):
        raise UserInputError(f"A token grid of {tuple(grid)} cannot be cut into local windows of {tuple(window)}; "
                             "each grid side must be a multiple of the window side.")


def num_windows(grid: tuple[int, int, int], window: tuple[int, int, int]) -> int:
    """How many windows tile the grid."""
    _check(grid, window)
    return int(np.prod([g // w for g, w in zip(grid, window)]))


def window_partition(x: torch.Tensor, window: tuple[int, int, int]) -> torch.Tensor:
    """(B, T, H, W, C) -> (B * nW, wt * wh * ww, C); windows ordered row-major over (T/wt, H/wh, W/ww)."""
    _, t, h, w, _ = x.shape
    _check((t, h, w), window)
    wt, wh, ww = window
    return rearrange(x, "b (nt wt) (nh wh) (nw ww) c -> (b nt nh nw) (wt wh ww) c", wt=wt, wh=wh, ww=ww)


def window_reverse(windows: torch.Tensor, window: tuple[int, int, int], grid: tuple[int, int, int]) -> torch.Tensor:
    """Inverse of window_partition: (B * nW, wt * wh * ww, C) -> (B, T, H, W, C)."""
    _check(grid, window)
    wt, wh, ww = window
    t, h, w = grid
    return rearrange(windows, "(b nt nh nw) (wt wh ww) c -> b (nt wt) (nh wh) (nw ww) c",
                     nt=t // wt, nh=h // wh, nw=w // ww, wt=wt, wh=wh, ww=ww)


def window_token_indices(grid: tuple[int, int, int], window: tuple[int, int, int]) -> np.ndarray:
    """(nW, wt * wh * ww) int64: flat grid index of every token of every window, in partition order."""
    t, h, w = grid
    flat = torch.arange(t * h * w).view(1, t, h, w, 1)
    return window_partition(flat, window)[..., 0].numpy().astype(np.int64)


def window_of_cell(grid: tuple[int, int, int], window: tuple[int, int, int], cell: tuple[int, int, int]
                   ) -> tuple[int, int, int, int, int, int]:
    """(t0, t1, h0, h1, w0, w1) half-open token extent of the window that contains grid cell `cell`."""
    _check(grid, window)
    bounds = []
    for c, size in zip(cell, window):
        start = (c // size) * size
        bounds += [start, start + size]
    return tuple(bounds)  # type: ignore[return-value]


def local_to_full(maps: np.ndarray | torch.Tensor, grid: tuple[int, int, int], window: tuple[int, int, int]
                  ) -> np.ndarray:
    """Scatter windowed attention into full token-to-token matrices (zero outside each window).

    maps: (B * nW, heads, n, n) probabilities from attention inside windows (n = wt * wh * ww).
    Returns (B, heads, N, N) float32 with N = T * H * W; rows still sum to 1.
    """
    maps = maps.float().numpy() if isinstance(maps, torch.Tensor) else np.asarray(maps, np.float32)
    index = window_token_indices(grid, window)  # (nW, n)
    n_windows, n = index.shape
    total, heads = maps.shape[:2]
    if total % n_windows or maps.shape[2:] != (n, n):
        raise ValueError(f"maps {maps.shape} do not match {n_windows} windows of {n} tokens")
    batch = total // n_windows
    size = int(np.prod(grid))
    full = np.zeros((batch, heads, size, size), np.float32)
    per_batch = maps.reshape(batch, n_windows, heads, n, n)
    for k in range(n_windows):
        rows, cols = index[k][:, None], index[k][None, :]
        full[:, :, rows, cols] = per_batch[:, k]
    return full
