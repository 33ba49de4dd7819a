"""Backward warping of masks (or images) with a flow field, as in MPVSS / mmtracking's `flow_warp_feats`.

Convention used everywhere in this tab: a *backward* flow (dx, dy) at pixel (x, y) of the current frame
points to where that point was in the key frame, so `warped(x, y) = key(x + dx, y + dy)`.
Flows are in pixels of their own grid; `resize_flow` rescales the values when the grid changes size, and
`resize_labels` brings class maps (ground truth, painted masks) to the frames' grid.
Adapted from open-mmlab/mmtracking mmtrack/core/motion/flow.py (flow_warp_feats), re-written.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F


def resize_labels(labels: np.ndarray, height: int, width: int) -> np.ndarray:
    """(..., H, W) integer class maps -> (..., height, width) int32, nearest neighbour (classes never blend).

    Returned unchanged (same array and dtype) when already height x width.
    """
    labels = np.asarray(labels)
    if labels.shape[-2:] == (height, width):
        return labels
    return np.stack([cv2.resize(l.astype(np.int32), (width, height), interpolation=cv2.INTER_NEAREST)
                     for l in labels.reshape(-1, *labels.shape[-2:])]).reshape(*labels.shape[:-2], height, width)


def resize_flow(flow: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, 2, h, w) flow in pixels of an h x w grid -> (N, 2, H, W) flow in pixels of the H x W grid.

    Bilinear resize of the field, then dx is multiplied by W / w and dy by H / h, so a displacement
    keeps pointing at the same scene point.
    """
    if flow.ndim != 4 or flow.shape[1] != 2:
        raise ValueError(f"expected flow (N, 2, h, w), got {tuple(flow.shape)}")
    h, w = flow.shape[-2:]
    height, width = size
    if (h, w) == (height, width):
        return flow
    resized = F.interpolate(flow, size=(height, width), mode="bilinear", align_corners=False)
    scale = torch.tensor([width / w, height / h], dtype=flow.dtype, device=flow.device).view(1, 2, 1, 1)
    return resized * scale


def sampling_grid(flow: torch.Tensor) -> torch.Tensor:
    """(N, 2, H, W) backward flow in pixels -> (N, H, W, 2) grid_sample grid in [-1, 1] (align_corners=True)."""
    n, _, height, width = flow.shape
    ys, xs = torch.meshgrid(torch.arange(height, dtype=flow.dtype, device=flow.device),
                            torch.arange(width, dtype=flow.dtype, device=flow.device), indexing="ij")
    x = xs + flow[:, 0]  # (N, H, W) source x in pixels
    y = ys + flow[:, 1]
    # align_corners=True: pixel 0 -> -1, pixel W-1 -> +1 (max() keeps a 1-pixel axis finite).
    gx = 2.0 * x / max(width - 1, 1) - 1.0
    gy = 2.0 * y / max(height - 1, 1) - 1.0
    return torch.stack([gx, gy], dim=-1)


def warp(values: torch.Tensor, flow: torch.Tensor, *, mode: str = "bilinear") -> torch.Tensor:
    """Backward-warp `values` (N, C, H, W) with `flow` (N or 1, 2, h, w): out(p) = values(p + flow(p)).

    The flow is resized to H x W with its values rescaled (resize_flow). Points that fall outside take
    the nearest border value (padding_mode="border", as MPVSS). Returns (N, C, H, W), same dtype.
    """
    if values.ndim != 4:
        raise ValueError(f"expected values (N, C, H, W), got {tuple(values.shape)}")
    flow = resize_flow(flow.to(values.dtype), values.shape[-2:])
    if flow.shape[0] == 1 and values.shape[0] > 1:
        flow = flow.expand(values.shape[0], -1, -1, -1)
    if flow.shape[0] != values.shape[0]:
        raise ValueError(f"flow batch {flow.shape[0]} does not match values batch {values.shape[0]}")
    grid = sampling_grid(flow)
    return F.grid_sample(values, grid, mode=mode, padding_mode="border", align_corners=True)
