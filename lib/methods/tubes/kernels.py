"""Tube kernels: trilinear interpolation of one learned kernel, I3D-style inflation of a 2-D patch kernel,
and ordering/normalising kernels for display.

Interpolated kernels (TubeViT §3.3, Table 7e): learn one 8x8x8 kernel and resize it to every tube shape.
Inflation (as daniel-code/TubeViT scripts/convert_vit_weight.py does for ViT-B/16): resize the 16x16
patch kernel spatially, repeat it over t frames and divide by t, so a static clip gives the image response.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F


def interpolate_kernel(weight: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """(D, C, t, h, w) kernel -> (D, C, *size) by trilinear resizing (identity when the size matches)."""
    size = tuple(int(s) for s in size)
    if tuple(weight.shape[2:]) == size:
        return weight
    return F.interpolate(weight, size=size, mode="trilinear", align_corners=False)


def inflate_patch_kernel(weight2d: torch.Tensor, size: Sequence[int]) -> torch.Tensor:
    """(D, C, P, P) image patch kernel -> (D, C, t, h, w): bilinear to (h, w), repeated t times, divided by t.

    On a clip whose frames are all the same image, the inflated kernel gives the 2-D kernel's response
    to that image resized to (h, w).
    """
    t, h, w = (int(s) for s in size)
    spatial = weight2d
    if tuple(weight2d.shape[2:]) != (h, w):
        spatial = F.interpolate(weight2d, size=(h, w), mode="bilinear", align_corners=False)
    return spatial.unsqueeze(2).repeat(1, 1, t, 1, 1) / t


def kernel_order(weight: np.ndarray, by: str = "norm") -> np.ndarray:
    """Output-channel order for display, most interesting first.

    weight: (D, C, t, h, w). by="norm": descending L2 norm. by="motion": descending share of the
    kernel's energy that changes over time (norm of the temporal difference / norm), which puts
    motion-sensitive filters first; a 1-frame kernel falls back to norm.
    """
    flat = weight.reshape(weight.shape[0], -1)
    norms = np.linalg.norm(flat, axis=1)
    if by == "motion" and weight.shape[2] > 1:
        change = np.linalg.norm(np.diff(weight, axis=2).reshape(weight.shape[0], -1), axis=1)
        return np.argsort(-(change / (norms + 1e-12)), kind="stable")
    if by not in ("norm", "motion"):
        raise ValueError(f"by must be 'norm' or 'motion', got {by!r}")
    return np.argsort(-norms, kind="stable")


def kernel_to_rgb(kernel: np.ndarray) -> np.ndarray:
    """(C=3, t, h, w) one output channel's kernel -> (t, h, w, 3) uint8, normalised symmetrically.

    0 maps to mid-grey; the largest |value| maps to 0 or 255, so colours show the sign of each weight.
    """
    scale = float(np.abs(kernel).max()) or 1.0
    rgb = 0.5 + 0.5 * np.moveaxis(kernel, 0, -1) / scale  # (t, h, w, 3) in [0, 1]
    return np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
