"""Object shapes as signed distance functions in the object's local frame.

Local coordinates: the shape fits inside the unit disc (radius 1 = the object's "radius" in pixels once
placed). The signed distance is negative inside, in local units; multiply by the pixel scale for pixels.
A pixel belongs to a shape when the distance at its centre is < 0 (exact masks); frames blend the edge
over about one pixel for anti-aliasing.
"""
from __future__ import annotations

import numpy as np

from lib.toyworld.spec import CLASS_NAMES

SHAPE_EXTENT = 1.0  # every shape lies within |u| <= SHAPE_EXTENT


def _regular_polygon(n: int, radius: float, phase: float = -np.pi / 2) -> np.ndarray:
    ang = phase + 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(ang), radius * np.sin(ang)], axis=1)


def _star(points: int = 5, outer: float = 1.0, inner: float = 0.45) -> np.ndarray:
    ang = -np.pi / 2 + np.pi * np.arange(2 * points) / points
    rad = np.where(np.arange(2 * points) % 2 == 0, outer, inner)
    return np.stack([rad * np.cos(ang), rad * np.sin(ang)], axis=1)


def _cross(arm: float = 0.92, half_width: float = 0.3) -> np.ndarray:
    a, w = arm, half_width
    return np.array([(-w, -a), (w, -a), (w, -w), (a, -w), (a, w), (w, w), (w, a), (-w, a), (-w, w), (-a, w),
                     (-a, -w), (-w, -w)])


def polygon_sdf(x: np.ndarray, y: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """Signed distance to a simple polygon (vertices (N, 2) in order), negative inside.

    Adapted from Inigo Quilez's "2D distance functions" (sdPolygon): distance to the nearest edge,
    sign from the crossing-number parity; vectorised over points, looped over the N edges.
    """
    dist2 = np.full(x.shape, np.inf, dtype=np.float32)
    inside = np.zeros(x.shape, dtype=bool)
    pts = [(float(px), float(py)) for px, py in verts]  # python floats keep the arithmetic in float32
    for i, (vx, vy) in enumerate(pts):
        ux, uy = pts[i - 1]  # previous vertex: edge from v_i to v_{i-1}
        ex, ey = ux - vx, uy - vy
        wx, wy = x - vx, y - vy
        h = np.clip((wx * ex + wy * ey) * (1.0 / (ex * ex + ey * ey)), 0.0, 1.0)
        bx, by = wx - ex * h, wy - ey * h
        np.minimum(dist2, bx * bx + by * by, out=dist2)
        if ey != 0.0:  # the edge crosses the horizontal ray to the right of the point
            inside ^= ((vy > y) != (uy > y)) & (wx < wy * (ex / ey))
    return np.where(inside, -1.0, 1.0).astype(np.float32) * np.sqrt(dist2)


_POLYGONS = {
    "square": _regular_polygon(4, 0.95, phase=-np.pi / 4),  # axis-aligned, half side 0.67
    "triangle": _regular_polygon(3, 1.0),
    "star": _star(),
    "cross": _cross(),
}


def shape_sdf(class_id: int, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Signed distance (local units, < 0 inside) of shape `class_id` at local points x, y (same shape)."""
    name = CLASS_NAMES[class_id]
    if name == "disc":
        return (np.sqrt(x * x + y * y) - 0.9).astype(np.float32)
    if name == "ring":
        return (np.abs(np.sqrt(x * x + y * y) - 0.68) - 0.26).astype(np.float32)
    if name in _POLYGONS:
        return polygon_sdf(x, y, _POLYGONS[name])
    raise ValueError(f"class {class_id} ({name}) has no shape")
