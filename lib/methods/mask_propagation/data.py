"""Toy-world training/evaluation data for mask propagation: seeds, clips, and the exact *backward* flow
from any frame to any earlier key frame (composed from the scene's per-object affine maps).
"""
from __future__ import annotations

import numpy as np

from lib.toyworld import SeedSplit, ToyClip, ToyWorldConfig, generate_clip
from lib.toyworld.clips import build_clip_scene

# The bundled models were trained on seeds from 100_000; evaluation (tests, benchmark, the training scripts'
# held-out score) uses seeds from 500_000, never used in training. Changing either changes every figure.
SEEDS = SeedSplit(train_start=100_000, held_out_start=500_000)
CLIP_CONFIG = ToyWorldConfig(height=128, width=128, num_frames=32)


def held_out_seeds(count: int) -> list[int]:
    return SEEDS.held_out(count)


def train_seeds(count: int) -> list[int]:
    return SEEDS.train(count)


def toy_clip(seed: int, config: ToyWorldConfig = CLIP_CONFIG) -> ToyClip:
    return generate_clip(seed, config)


def backward_flows(seed: int, config: ToyWorldConfig, instance: np.ndarray, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Exact backward flow for each (current t, key k) pair: (P, H, W, 2) float32, where the surface
    point seen at pixel p of frame t was at p + flow in frame k (defined for every pixel of frame t).

    instance: (T, H, W) instance maps of the clip (ToyClip.instance). Objects that do not exist at k keep
    zero flow.
    """
    scene, _ = build_clip_scene(seed, config)
    h, w = config.height, config.width
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    out = np.zeros((len(pairs), h, w, 2), np.float32)
    by_instance = {layer.instance: layer for layer in scene.layers}
    for n, (t, k) in enumerate(pairs):
        maps = {0: scene.camera.matrix(k) @ np.linalg.inv(scene.camera.matrix(t))}
        for inst, layer in by_instance.items():
            m_t, m_k = layer.matrix(scene.camera, t), layer.matrix(scene.camera, k)
            if m_t is not None and m_k is not None:
                maps[inst] = m_k @ np.linalg.inv(m_t)
        for inst, m in maps.items():
            sel = instance[t] == inst
            if not sel.any():
                continue
            x, y = xs[sel], ys[sel]
            out[n, sel, 0] = m[0, 0] * x + m[0, 1] * y + m[0, 2] - x
            out[n, sel, 1] = m[1, 0] * x + m[1, 1] * y + m[1, 2] - y
    return out
