"""Attention rollout across layers, also across the grid changes of a pyramid (hierarchical) model.

Rollout (Abnar & Zuidema 2020; the idea as in jacobgil/vit-explain's `rollout`, re-derived here):
each layer mixes tokens by A' = (1 - r) A + r I (r: the residual share, 0.5 by default), rows
renormalised; the product over layers says how much each output token draws on each input token.
Where a pyramid merges tokens (STPT's patch merging), a pooling matrix P (N_coarse, N_fine) whose
rows average the fine cells inside each coarse cell joins the grids, so the product is still a
(N_last, N_first) matrix whose rows sum to 1.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from lib.hooks import TokenGrid
from lib.methods.attention.maps import LayerAttention


def with_residual(attention: np.ndarray, residual: float = 0.5) -> np.ndarray:
    """(N, N) row-stochastic -> (1 - residual) A + residual I, rows renormalised (float64)."""
    if not 0.0 <= residual <= 1.0:
        raise ValueError(f"residual must be in [0, 1], got {residual}")
    mixed = (1.0 - residual) * np.asarray(attention, np.float64) + residual * np.eye(len(attention))
    return mixed / np.maximum(mixed.sum(-1, keepdims=True), 1e-12)


def _cell_centres(grid: TokenGrid) -> np.ndarray:
    """(num_cells, 3) centre of every grid cell in input (frame, y, x) units."""
    t, h, w = np.meshgrid(np.arange(grid.t), np.arange(grid.h), np.arange(grid.w), indexing="ij")
    cells = np.stack([t.ravel(), h.ravel(), w.ravel()], axis=1).astype(np.float64)
    return (cells + 0.5) * np.asarray(grid.tubelet, np.float64)


def pooling_matrix(fine: TokenGrid, coarse: TokenGrid) -> np.ndarray:
    """(coarse.num_tokens, fine.num_tokens) row-stochastic: each coarse cell averages the fine cells whose
    centres lie inside it; prefix tokens map to the prefix token of the same position (or are averaged
    when the counts differ). Both grids must describe the same input volume."""
    centres = _cell_centres(fine)
    ct, cy, cx = coarse.tubelet
    parent_t = np.minimum((centres[:, 0] // ct).astype(int), coarse.t - 1)
    parent_h = np.minimum((centres[:, 1] // cy).astype(int), coarse.h - 1)
    parent_w = np.minimum((centres[:, 2] // cx).astype(int), coarse.w - 1)
    parent = coarse.num_prefix + (parent_t * coarse.h + parent_h) * coarse.w + parent_w
    pool = np.zeros((coarse.num_tokens, fine.num_tokens), np.float64)
    pool[parent, fine.num_prefix + np.arange(fine.num_cells)] = 1.0
    if coarse.num_prefix and fine.num_prefix:
        if coarse.num_prefix == fine.num_prefix:
            pool[np.arange(coarse.num_prefix), np.arange(fine.num_prefix)] = 1.0
        else:
            pool[: coarse.num_prefix, : fine.num_prefix] = 1.0
    elif coarse.num_prefix:  # a prefix token that appears later starts from the mean of all tokens
        pool[: coarse.num_prefix, :] = 1.0
    empty = pool.sum(-1) == 0
    if empty.any():
        raise ValueError(f"{int(empty.sum())} coarse cells of {coarse} cover no fine cell of {fine}")
    return pool / pool.sum(-1, keepdims=True)


def attention_rollout(layers: Sequence[LayerAttention], *, residual: float = 0.5,
                      head: int | None = None) -> np.ndarray:
    """Rollout through `layers` in order: (N_last, N_first) float32, rows sum to 1.

    Row q says how much output token q of the last layer draws on each token of the first layer's
    grid. head None uses the mean over heads (the usual choice).
    """
    if not layers:
        raise ValueError("rollout needs at least one layer")
    if not 0.0 <= residual <= 1.0:
        raise ValueError(f"residual must be in [0, 1], got {residual}")
    if all(layer.kind == "space" and layer.grid == layers[0].grid for layer in layers) and \
            layers[0].grid.num_prefix == 0:
        return _per_frame_rollout(layers, residual, head)
    if all(layer.kind in ("time", "space") and layer.grid == layers[0].grid for layer in layers):
        return _divided_rollout(layers, residual, head)
    # torch fp32 matmuls: a 1569^2 product per layer (VideoMAE-B) took ~0.7 s in numpy fp64, ~0.05 s here
    result = torch.eye(layers[0].num_tokens)
    grid = layers[0].grid
    for layer in layers:
        if layer.grid != grid:
            result = torch.from_numpy(pooling_matrix(grid, layer.grid)).float() @ result
            grid = layer.grid
        mixed = (1.0 - residual) * torch.from_numpy(layer.dense(head)) + residual * torch.eye(layer.num_tokens)
        result = (mixed / mixed.sum(-1, keepdim=True).clamp_min(1e-12)) @ result
    return result.numpy()


def _per_frame_rollout(layers: Sequence[LayerAttention], residual: float, head: int | None) -> np.ndarray:
    """Rollout of per-frame ("space") layers on one grid, frame by frame: the product of block-diagonal matrices is
    block diagonal, so each frame's (H*W)^2 blocks are multiplied alone (DINOv2 on 8 frames: 8 x 256^3 per layer
    instead of 2048^3) and placed on the diagonal of the (N, N) result; the same numbers as the dense path."""
    g = layers[0].grid
    cells = g.h * g.w
    eye = torch.eye(cells)
    result = eye.repeat(g.t, 1, 1)  # (T, HW, HW)
    for layer in layers:
        maps = torch.from_numpy(np.ascontiguousarray(layer.maps[:, :, 1:, 1:])).float()  # (T, heads, HW, HW)
        block = maps.mean(1) if head is None else maps[:, head]
        block = block / block.sum(-1, keepdim=True).clamp_min(1e-12)  # CLS dropped, rows renormalised (dense())
        mixed = (1.0 - residual) * block + residual * eye
        result = (mixed / mixed.sum(-1, keepdim=True).clamp_min(1e-12)) @ result
    full = torch.zeros(g.num_tokens, g.num_tokens)
    for t in range(g.t):
        start = g.num_prefix + t * cells
        full[start:start + cells, start:start + cells] = result[t]
    return full.numpy()


def _divided_rollout(layers: Sequence[LayerAttention], residual: float, head: int | None) -> np.ndarray:
    """Rollout of divided space-time layers (TimeSformer) on one grid with its CLS token, each layer applied by its
    structure: a time layer mixes the T tokens of one patch, a space layer the H*W tokens of one frame. The same
    numbers as the dense path (whose CLS row is empty, so it stays the identity) at 1/8 of its multiply-adds for
    TimeSformer-B's space layers and ~1/200 for its time layers (24 dense 1569^3 products took ~8 s on 2 cores)."""
    g = layers[0].grid
    p0, cells = g.num_prefix, g.h * g.w
    result = torch.eye(g.num_tokens)
    for layer in layers:
        rows = result[p0:].reshape(g.t, cells, g.num_tokens)  # token t*H*W + p
        if layer.kind == "time":  # (H*W, T, T): patch p of frame t over patch p of every frame
            mix = torch.from_numpy(layer._head(layer.maps, head, 1))
            rows = rows.transpose(0, 1)  # (H*W, T, N)
        else:  # (T, H*W, H*W): the frame's patches, CLS dropped and rows renormalised as dense() does
            mix = torch.from_numpy(layer._head(layer.maps[:, :, 1:, 1:], head, 1))
            mix = mix / mix.sum(-1, keepdim=True).clamp_min(1e-12)
        mixed = ((1.0 - residual) * torch.bmm(mix, rows) + residual * rows)
        mixed = mixed / ((1.0 - residual) * mix.sum(-1, keepdim=True) + residual).clamp_min(1e-12)
        if layer.kind == "time":
            mixed = mixed.transpose(0, 1)
        result = torch.cat([result[:p0], mixed.reshape(g.num_cells, g.num_tokens)])
    return result.numpy()
