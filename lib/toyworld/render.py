"""Render a scene at frame t by inverse mapping, and its exact forward flow and occlusion.

Every layer (the background and each object) has a known affine map per frame from its own
coordinates to the screen. A pixel's colour is the layer's texture sampled at the inverse-mapped
position, so a surface point seen at pixel p in frame t lies at M_{t+1} M_t^{-1} p in frame t+1:
the flow is that affine map minus p, exactly, for the top-most layer at p.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from lib.toyworld.motion import Camera, Motion
from lib.toyworld.shapes import SHAPE_EXTENT, shape_sdf

OBJECT_TEXTURE_SPAN = 1.1  # an object texture covers local coordinates [-1.1, 1.1]^2


@dataclass(frozen=True)
class Layer:
    """One object: class id, instance id, skin (S, S, 3) float32, motion, and the frames [from, to) it exists."""

    class_id: int
    instance: int
    texture: np.ndarray
    motion: Motion
    visible: tuple[float, float] = (-math.inf, math.inf)

    def matrix(self, camera: Camera, t: float) -> np.ndarray | None:
        """(3, 3) local -> screen map at frame t, or None when the object does not exist then."""
        if not self.visible[0] <= t < self.visible[1]:
            return None
        return camera.matrix(t) @ self.motion.matrix(t)


@dataclass(frozen=True)
class Scene:
    """Everything needed to render any frame: background skin in world texels (texel = world + offset),
    camera, object layers bottom to top, and sensor noise (std in grey levels, seeded per frame)."""

    height: int
    width: int
    background: np.ndarray
    background_offset: tuple[float, float]
    camera: Camera
    layers: tuple[Layer, ...] = ()
    noise_std: float = 0.0
    noise_seed: int = 0


@dataclass(frozen=True)
class Rendered:
    """One rendered frame. top: (H, W) int16 index of the visible layer (0 = background, k = layers[k-1]).
    matrices: local -> screen map per layer (index as in top; 0 = background's world -> screen).
    boxes: per layer (x0, y0, x1, y1) integer pixel box where it may cover pixels, or None."""

    image: np.ndarray
    semantic: np.ndarray
    instance: np.ndarray
    top: np.ndarray
    matrices: tuple[np.ndarray | None, ...]
    boxes: tuple[tuple[int, int, int, int] | None, ...] = field(default=())


def _affine_apply(m: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply the 2-D affine part of a (3, 3) matrix to float32 points (python floats keep float32)."""
    a, b, c, d, e, f = (float(v) for v in m[:2].ravel())
    return a * x + b * y + c, d * x + e * y + f


def _screen_box(m: np.ndarray, height: int, width: int, margin: float = 1.0) -> tuple[int, int, int, int] | None:
    """Integer pixel box [x0, x1) x [y0, y1) that contains the shape's image (plus margin), or None if off screen."""
    e = SHAPE_EXTENT
    corners = m[:2, :2] @ np.array([[-e, e, e, -e], [-e, -e, e, e]]) + m[:2, 2:3]
    x0 = max(0, math.floor(corners[0].min() - margin))
    y0 = max(0, math.floor(corners[1].min() - margin))
    x1 = min(width, math.ceil(corners[0].max() + margin) + 1)
    y1 = min(height, math.ceil(corners[1].max() + margin) + 1)
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def render(scene: Scene, t: int) -> Rendered:
    """Frame t: image (H, W, 3) uint8, semantic and instance (H, W) uint8, plus the layer map for the flow."""
    h, w = scene.height, scene.width
    cam = scene.camera.matrix(t)
    to_texel = np.linalg.inv(cam)
    to_texel[:2, 2] += scene.background_offset
    image = cv2.warpAffine(scene.background, to_texel[:2], (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REFLECT101)
    semantic = np.zeros((h, w), np.uint8)
    instance = np.zeros((h, w), np.uint8)
    top = np.zeros((h, w), np.int16)
    matrices: list[np.ndarray | None] = [cam]
    boxes: list[tuple[int, int, int, int] | None] = [(0, 0, w, h)]
    for k, layer in enumerate(scene.layers, start=1):
        m = layer.matrix(scene.camera, t)
        box = None if m is None else _screen_box(m, h, w)
        matrices.append(m)
        boxes.append(box)
        if box is None:
            continue
        x0, y0, x1, y1 = box
        xs = np.arange(x0, x1, dtype=np.float32)[None, :]
        ys = np.arange(y0, y1, dtype=np.float32)[:, None]
        u, v = _affine_apply(np.linalg.inv(m), xs, ys)  # (h', w') local coordinates
        dist = shape_sdf(layer.class_id, u, v)
        inside = dist < 0
        if not inside.any():
            continue
        px_per_unit = math.sqrt(abs(np.linalg.det(m[:2, :2])))
        alpha = np.clip(0.5 - dist * px_per_unit, 0.0, 1.0)[..., None]  # ~1-pixel anti-aliased edge
        size = layer.texture.shape[0]
        scale = (size - 1) / (2 * OBJECT_TEXTURE_SPAN)
        skin = cv2.remap(layer.texture, (u + OBJECT_TEXTURE_SPAN) * scale, (v + OBJECT_TEXTURE_SPAN) * scale,
                         cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
        region = image[y0:y1, x0:x1]
        region += alpha * (skin - region)
        semantic[y0:y1, x0:x1][inside] = layer.class_id
        instance[y0:y1, x0:x1][inside] = layer.instance
        top[y0:y1, x0:x1][inside] = k
    if scene.noise_std > 0:
        rng = np.random.default_rng([scene.noise_seed, t])
        image += rng.standard_normal(image.shape, dtype=np.float32) * scene.noise_std
    out = np.clip(image + 0.5, 0, 255).astype(np.uint8)
    return Rendered(out, semantic, instance, top, tuple(matrices), tuple(boxes))


def flow_between(scene: Scene, now: Rendered, nxt: Rendered) -> tuple[np.ndarray, np.ndarray]:
    """Exact forward flow (H, W, 2) float32 (dx, dy) and occlusion (H, W) bool from frame `now` to `nxt`.

    Occluded: the point's layer no longer exists, its new position is outside the frame
    (x not in [0, W-1] or y not in [0, H-1]), or a layer above it covers the new position.
    """
    h, w = scene.height, scene.width
    xs = np.arange(w, dtype=np.float32)[None, :].repeat(h, 0)
    ys = np.arange(h, dtype=np.float32)[:, None].repeat(w, 1)
    new_x, new_y = xs.copy(), ys.copy()
    vanished = np.zeros((h, w), bool)
    for k, (m0, m1) in enumerate(zip(now.matrices, nxt.matrices)):
        box = now.boxes[k]
        if m0 is None or box is None:
            continue
        x0, y0, x1, y1 = box
        sel = now.top[y0:y1, x0:x1] == k
        if not sel.any():
            continue
        if m1 is None:
            vanished[y0:y1, x0:x1] |= sel
            continue
        bx, by = _affine_apply(m1 @ np.linalg.inv(m0), xs[y0:y1, x0:x1], ys[y0:y1, x0:x1])
        new_x[y0:y1, x0:x1] = np.where(sel, bx, new_x[y0:y1, x0:x1])
        new_y[y0:y1, x0:x1] = np.where(sel, by, new_y[y0:y1, x0:x1])
    flow = np.stack([new_x - xs, new_y - ys], axis=-1)
    occluded = vanished | (new_x < 0) | (new_x > w - 1) | (new_y < 0) | (new_y > h - 1)
    for k, layer in enumerate(scene.layers, start=1):
        m1, box = nxt.matrices[k], nxt.boxes[k]
        if m1 is None or box is None:
            continue
        x0, y0, x1, y1 = box
        cand = (now.top < k) & (new_x >= x0 - 1) & (new_x < x1) & (new_y >= y0 - 1) & (new_y < y1)
        iy, ix = np.nonzero(cand)
        if iy.size == 0:
            continue
        u, v = _affine_apply(np.linalg.inv(m1), new_x[iy, ix], new_y[iy, ix])
        hit = shape_sdf(layer.class_id, u, v) < 0
        occluded[iy[hit], ix[hit]] = True
    return flow.astype(np.float32), occluded


def instance_flow_affines(scene: Scene, t: int, num_instances: int) -> np.ndarray:
    """(num_instances, 2, 3) float64: per instance id (0 = background) the affine map that moves a point
    seen at frame t to its position at frame t+1; identity where the instance is absent at t or t+1.

    Together with the instance map of frame t this is the whole flow, exactly: see flow_from_affines.
    """
    out = np.tile(np.eye(3)[:2], (num_instances, 1, 1))
    cam0, cam1 = scene.camera.matrix(t), scene.camera.matrix(t + 1)
    out[0] = (cam1 @ np.linalg.inv(cam0))[:2]
    for layer in scene.layers:
        m0, m1 = layer.matrix(scene.camera, t), layer.matrix(scene.camera, t + 1)
        if m0 is not None and m1 is not None:
            out[layer.instance] = (m1 @ np.linalg.inv(m0))[:2]
    return out


def flow_from_affines(instance: np.ndarray, affines: np.ndarray) -> np.ndarray:
    """Dense flow (H, W, 2) float32 from an instance map (H, W) and per-instance maps (K, 2, 3)."""
    h, w = instance.shape
    xs = np.arange(w, dtype=np.float32)[None, :].repeat(h, 0)
    ys = np.arange(h, dtype=np.float32)[:, None].repeat(w, 1)
    a = affines.astype(np.float32)[instance]  # (H, W, 2, 3)
    new_x = a[..., 0, 0] * xs + a[..., 0, 1] * ys + a[..., 0, 2]
    new_y = a[..., 1, 0] * xs + a[..., 1, 1] * ys + a[..., 1, 2]
    return np.stack([new_x - xs, new_y - ys], axis=-1)
