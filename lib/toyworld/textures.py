"""Seeded procedural textures: backgrounds (noise, stripes, gradients, checks) and object skins.

All textures are float32 RGB in [0, 255], shape (S, S, 3). They are smooth at the scale of a pixel
(features of several texels) so bilinear sampling is accurate and the flow warp check stays tight.
"""
from __future__ import annotations

import cv2
import numpy as np

# Hue (degrees) of each object class's colour family, index = class id (0 = background unused).
CLASS_HUES: tuple[float, ...] = (0.0, 0.0, 235.0, 120.0, 55.0, 300.0, 180.0)
OBJECT_PATTERNS = ("stripes", "checks", "blobs", "rings", "dots", "gradient")
BACKGROUND_PATTERNS = ("noise", "stripes", "gradient", "checks")


def hsv_to_rgb(h: float, s: float, v: float) -> np.ndarray:
    """(3,) float32 RGB in [0, 255] from hue in degrees, saturation and value in [0, 1]."""
    hsv = np.array([[[h % 360.0, np.clip(s, 0, 1), np.clip(v, 0, 1)]]], dtype=np.float32)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0] * 255.0


def value_noise(rng: np.random.Generator, size: int, cells: int, octaves: int = 3) -> np.ndarray:
    """(size, size) float32 smooth noise in [0, 1]: random grids upsampled (bicubic), summed over octaves."""
    out = np.zeros((size, size), np.float32)
    total = 0.0
    for o in range(octaves):
        n = max(2, cells * 2 ** o)
        grid = rng.random((n, n), dtype=np.float32)
        out += cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC) / 2 ** o
        total += 1 / 2 ** o
    out /= total
    lo, hi = float(out.min()), float(out.max())
    return (out - lo) / max(hi - lo, 1e-6)


def _coords(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Texel grid in [-1, 1] x [-1, 1], each (size, size) float32."""
    c = np.linspace(-1.0, 1.0, size, dtype=np.float32)
    return np.meshgrid(c, c)


def _pattern(rng: np.random.Generator, kind: str, size: int, freq: float) -> np.ndarray:
    """(size, size) float32 in [0, 1]; `freq` is in cycles across the texture."""
    x, y = _coords(size)
    theta = rng.uniform(0, np.pi)
    along = x * np.cos(theta) + y * np.sin(theta)
    if kind == "stripes":
        sharp = rng.uniform(1.0, 3.0)
        return 0.5 + 0.5 * np.tanh(sharp * np.sin(np.pi * freq * along))
    if kind == "checks":
        across = -x * np.sin(theta) + y * np.cos(theta)
        return 0.5 + 0.5 * np.tanh(2.0 * np.sin(np.pi * freq * along) * np.sin(np.pi * freq * across))
    if kind == "blobs" or kind == "noise":
        return value_noise(rng, size, cells=max(2, int(freq)), octaves=3)
    if kind == "rings":
        cx, cy = rng.uniform(-0.3, 0.3, size=2)
        return 0.5 + 0.5 * np.sin(np.pi * freq * np.sqrt((x - cx) ** 2 + (y - cy) ** 2))
    if kind == "dots":
        return np.clip(1.5 * (np.sin(np.pi * freq * x) * np.sin(np.pi * freq * y)) ** 2, 0, 1)
    if kind == "gradient":
        return np.clip(0.5 + 0.5 * along + 0.25 * (value_noise(rng, size, 3, 2) - 0.5), 0, 1)
    raise ValueError(kind)


def object_texture(rng: np.random.Generator, class_id: int, size: int, off_colour_prob: float = 0.0) -> np.ndarray:
    """(size, size, 3) float32 skin of an object: two colours of its class family mixed by a pattern.

    The texture spans the object's local square [-1.1, 1.1]^2 (see render.OBJECT_TEXTURE_SPAN).
    """
    hue = CLASS_HUES[class_id] + rng.uniform(-15, 15)
    if rng.random() < off_colour_prob:
        hue = rng.uniform(0, 360)
    light = hsv_to_rgb(hue, rng.uniform(0.6, 1.0), rng.uniform(0.8, 1.0))
    dark = hsv_to_rgb(hue + rng.uniform(-25, 25), rng.uniform(0.5, 1.0), rng.uniform(0.25, 0.5))
    kind = OBJECT_PATTERNS[rng.integers(len(OBJECT_PATTERNS))]
    mix = _pattern(rng, kind, size, freq=rng.uniform(2.5, 5.0))[..., None]
    shade = 1.0 - 0.25 * value_noise(rng, size, cells=2, octaves=1)[..., None]  # soft lighting
    grain = 1.0 + rng.uniform(0.15, 0.35) * (value_noise(rng, size, cells=max(2, size // 5), octaves=1) - 0.5)
    return (light * (1 - mix) + dark * mix) * shade * grain[..., None]


def background_texture(rng: np.random.Generator, size: int) -> np.ndarray:
    """(size, size, 3) float32 muted background: a palette of 3 colours mixed by two patterns."""
    base_hue = rng.uniform(0, 360)
    colours = [hsv_to_rgb(base_hue + rng.uniform(-60, 60), rng.uniform(0.1, 0.5), rng.uniform(0.25, 0.85))
               for _ in range(3)]
    kinds = rng.choice(len(BACKGROUND_PATTERNS), size=2, replace=False)
    freq = size / rng.uniform(24, 64)  # features of 12-32 texels
    a = _pattern(rng, BACKGROUND_PATTERNS[kinds[0]], size, freq)[..., None]
    b = _pattern(rng, BACKGROUND_PATTERNS[kinds[1]], size, freq * rng.uniform(0.3, 0.8))[..., None]
    detail = 1.0 + rng.uniform(0.1, 0.3) * (value_noise(rng, size, cells=max(2, size // 6), octaves=2) - 0.5)
    return (colours[0] * (1 - a) * (1 - b) + colours[1] * a * (1 - b) + colours[2] * b) * detail[..., None]
