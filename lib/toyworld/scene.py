"""Seeded sampling of scene parts: backgrounds, the main actor's motion, distractors, camera paths.

Sizes are fractions of the short side S = min(H, W), so a scene looks the same at any resolution.
The main actor is unambiguous by construction: it is drawn on top of every other object and its
smallest radius over the clip is at least 1/0.65 of any distractor's largest radius, so even the
smallest-area actor shape (triangle) outsizes the largest-area distractor shape (disc).
"""
from __future__ import annotations

import math

import numpy as np

from lib.toyworld.motion import Camera, Motion
from lib.toyworld.render import OBJECT_TEXTURE_SPAN, Layer
from lib.toyworld.spec import ACTION_NAMES, CLASS_NAMES
from lib.toyworld.textures import background_texture, object_texture

ACTOR_RADIUS = (0.16, 0.21)       # main actor's middle radius, fraction of S
DISTRACTOR_MIN_RADIUS = 0.05      # fraction of S
DISTRACTOR_SIZE_RATIO = 0.65      # distractor radius <= this x the actor's smallest radius (areas too)
NUM_OBJECT_CLASSES = len(CLASS_NAMES) - 1


def texture_size(radius: float) -> int:
    """Texels per side for an object of this radius (px): about one texel per pixel, within [48, 192]."""
    return int(min(192, max(48, round(2 * OBJECT_TEXTURE_SPAN * radius))))


def random_background(rng: np.random.Generator, height: int, width: int,
                      margin: float = 0.5) -> tuple[np.ndarray, tuple[float, float]]:
    """Background skin (B, B, 3) float32 centred on the frame and larger by `margin` each side, and its offset."""
    size = int(math.ceil(max(height, width) * (1 + 2 * margin)))
    offset = ((size - width) / 2.0, (size - height) / 2.0)
    return background_texture(rng, size).astype(np.float32), offset


def _action_amount(rng: np.random.Generator, name: str, short: float, distractor: bool) -> tuple[float, float]:
    """(amount, cycles) of a motion over its whole duration; see Motion.amount."""
    if name in ("left", "right", "up", "down"):
        return rng.uniform(0.3, 0.9) * short if distractor else rng.uniform(0.3, 0.5) * short, 1.0
    if name in ("rotate_cw", "rotate_ccw"):
        return rng.uniform(0.5, 1.5) * math.pi, 1.0
    if name in ("grow", "shrink"):
        return math.log(rng.uniform(1.2, 1.4) if distractor else rng.uniform(1.6, 2.2)), 1.0
    if name == "bounce":
        height = rng.uniform(0.1, 0.2) if distractor else rng.uniform(0.15, 0.3)
        return height * short, float(rng.integers(2, 5))
    return 0.0, 1.0  # stay


def _path_extent(name: str, amount: float) -> tuple[float, float, float, float]:
    """Box (dx_min, dy_min, dx_max, dy_max) swept by the centre relative to its start."""
    dx = {"left": -amount, "right": amount}.get(name, 0.0)
    dy = {"up": -amount, "down": amount, "bounce": -amount}.get(name, 0.0)
    return min(dx, 0.0), min(dy, 0.0), max(dx, 0.0), max(dy, 0.0)


def actor_motion(rng: np.random.Generator, action: int, height: int, width: int, start: float, duration: float,
                 clamp: bool = False) -> Motion:
    """The main actor's motion: big, and placed so that its whole path stays (nearly) inside the frame."""
    name = ACTION_NAMES[action]
    short = float(min(height, width))
    amount, cycles = _action_amount(rng, name, short, distractor=False)
    r_mid = rng.uniform(*ACTOR_RADIUS) * short
    radius = {"grow": r_mid * math.exp(-amount / 2), "shrink": r_mid * math.exp(amount / 2)}.get(name, r_mid)
    r_max = r_mid * math.exp(amount / 2) if name in ("grow", "shrink") else radius
    ex0, ey0, ex1, ey1 = _path_extent(name, amount)
    keep = r_max  # the whole path stays inside the frame (a camera zoom may still push it a little out)
    x = _place(rng, keep - ex0, width - 1 - keep - ex1)
    y = _place(rng, keep - ey0, height - 1 - keep - ey1)
    return Motion(action=action, x=x, y=y, radius=radius, angle=rng.uniform(0, 2 * math.pi), amount=amount,
                  start=start, duration=max(duration, 1.0), cycles=cycles, clamp=clamp)


def _place(rng: np.random.Generator, lo: float, hi: float) -> float:
    return rng.uniform(lo, hi) if hi > lo else (lo + hi) / 2.0


def distractor_motion(rng: np.random.Generator, height: int, width: int, duration: float, max_radius: float) -> Motion:
    """A smaller object with any motion pattern, starting anywhere around the frame (it may enter or leave)."""
    action = int(rng.integers(len(ACTION_NAMES)))
    name = ACTION_NAMES[action]
    short = float(min(height, width))
    amount, cycles = _action_amount(rng, name, short, distractor=True)
    r_big = rng.uniform(min(DISTRACTOR_MIN_RADIUS * short, 0.8 * max_radius), max_radius)
    radius = r_big * math.exp(-amount) if name == "grow" else r_big  # largest radius stays r_big
    x = rng.uniform(-0.15, 1.15) * width
    y = rng.uniform(-0.15, 1.15) * height
    return Motion(action=action, x=x, y=y, radius=radius, angle=rng.uniform(0, 2 * math.pi), amount=amount,
                  start=0.0, duration=max(duration, 1.0), cycles=cycles)


def looping_distractor_motion(rng: np.random.Generator, height: int, width: int, max_radius: float) -> Motion:
    """A distractor for unbounded videos: translations wrap around a box past the frame, other patterns repeat."""
    choices = [ACTION_NAMES.index(n) for n in ("left", "right", "up", "down", "rotate_cw", "rotate_ccw", "bounce",
                                               "stay")]
    action = int(choices[rng.integers(len(choices))])
    name = ACTION_NAMES[action]
    short = float(min(height, width))
    radius = rng.uniform(min(DISTRACTOR_MIN_RADIUS * short, 0.8 * max_radius), max_radius)
    per_frame = {"bounce": rng.uniform(0.1, 0.2) * short}.get(name, 0.0)
    if name in ("left", "right", "up", "down"):
        per_frame = rng.uniform(0.3, 1.0) * short / 128.0
    elif name in ("rotate_cw", "rotate_ccw"):
        per_frame = rng.uniform(0.02, 0.06)
    margin = radius + 0.2 * short
    return Motion(action=action, x=rng.uniform(0, width), y=rng.uniform(0.2, 1.0) * height, radius=radius,
                  angle=rng.uniform(0, 2 * math.pi), amount=per_frame, duration=1.0,
                  cycles=1.0 / rng.uniform(16, 40), wrap=(-margin, -margin, width + margin, height + margin))


def make_layer(rng: np.random.Generator, class_id: int, instance: int, motion: Motion, radius_px: float,
               off_colour_prob: float, visible: tuple[float, float] = (-math.inf, math.inf)) -> Layer:
    """An object layer with a freshly drawn skin of its class's colour family."""
    texture = object_texture(rng, class_id, texture_size(radius_px), off_colour_prob).astype(np.float32)
    return Layer(class_id=class_id, instance=instance, texture=texture, motion=motion, visible=visible)


def random_class(rng: np.random.Generator) -> int:
    return int(rng.integers(1, NUM_OBJECT_CLASSES + 1))


def clip_camera(rng: np.random.Generator, height: int, width: int, num_frames: int, moving: bool) -> Camera:
    """Short-clip camera: still (1 in 5) or a linear pan of up to 0.15 S plus a zoom of up to +-15 %."""
    still = Camera.still(height, width)
    if not moving or rng.random() < 0.2:
        return still
    span = max(num_frames - 1, 1)
    travel = rng.uniform(0.0, 0.15) * min(height, width)
    heading = rng.uniform(0, 2 * math.pi)
    return Camera(height=height, width=width, cx=still.cx, cy=still.cy, vx=travel * math.cos(heading) / span,
                  vy=travel * math.sin(heading) / span, zoom_rate=rng.uniform(-0.15, 0.15) / span)


def swaying_camera(rng: np.random.Generator, height: int, width: int, moving: bool) -> Camera:
    """Long-video camera: a slow bounded sway of the centre (up to 0.08 S) and of the zoom (up to +-8 %)."""
    still = Camera.still(height, width)
    if not moving:
        return still
    short = min(height, width)
    return Camera(height=height, width=width, cx=still.cx, cy=still.cy,
                  sway=(rng.uniform(0.02, 0.08) * short, rng.uniform(0.02, 0.08) * short, rng.uniform(0.02, 0.08)),
                  periods=tuple(float(p) for p in rng.uniform(300, 900, size=3)),
                  phases=tuple(float(p) for p in rng.uniform(0, 2 * math.pi, size=3)))
