"""Fixed 3-D sine-cosine position embedding at each tube token's centre (TubeViT §3.4).

Each axis (t, y, x) gets the same number of channels, 2*F with F = dim // 6 frequencies
omega_k = 1 / 10000^(k / F), k = 0..F-1, laid out as [sin(p*omega), cos(p*omega)] (MAE's 1-D
formula); the three blocks are concatenated in (t, y, x) order and the dim % 6 leftover channels are 0.
Centres are in global video coordinates (voxels), so stride, offset and kernel all shape the code:
the paper's ablation finds that matters (84.5 vs 77.7 on K600 without strides).
"""
from __future__ import annotations

import numpy as np

TEMPERATURE = 10_000.0


def sincos_1d(positions: np.ndarray, channels: int, temperature: float = TEMPERATURE) -> np.ndarray:
    """(N,) positions -> (N, channels) [sin(p w_0..w_F-1), cos(p w_0..w_F-1)], channels even."""
    if channels % 2:
        raise ValueError(f"channels must be even, got {channels}")
    freqs = channels // 2
    omega = 1.0 / temperature ** (np.arange(freqs, dtype=np.float64) / max(freqs, 1))  # (F,)
    angles = np.asarray(positions, np.float64)[:, None] * omega[None, :]  # (N, F)
    return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)


def sincos_3d(centres: np.ndarray, dim: int, temperature: float = TEMPERATURE) -> np.ndarray:
    """(N, 3) centres (t, y, x) in voxels -> (N, dim) float32 embedding, values in [-1, 1]."""
    centres = np.asarray(centres, np.float64)
    if centres.ndim != 2 or centres.shape[1] != 3:
        raise ValueError(f"centres must be (N, 3), got {centres.shape}")
    if dim < 6:
        raise ValueError(f"dim must be at least 6 (two channels per axis), got {dim}")
    per_axis = 2 * (dim // 6)
    blocks = [sincos_1d(centres[:, axis], per_axis, temperature) for axis in range(3)]
    out = np.zeros((len(centres), dim), np.float64)
    out[:, : 3 * per_axis] = np.concatenate(blocks, axis=1)
    return out.astype(np.float32)


def cosine_similarity_to(embedding: np.ndarray, index: int) -> np.ndarray:
    """(N, D) embedding -> (N,) cosine similarity of token `index` with every token, in [-1, 1]."""
    norms = np.linalg.norm(embedding, axis=1) + 1e-12
    return (embedding @ embedding[index]) / (norms * norms[index])
