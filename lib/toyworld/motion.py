"""Closed-form motion: object poses and camera matrices as functions of the frame index.

Everything is a pure function of t (no state carried from frame to frame), so any frame of a long
video can be rendered directly, and the flow between two frames is the composition of two affine maps.
Coordinates: pixels, x right, y down. World coordinates equal screen coordinates of a camera at rest.
A positive angle turns clockwise on screen (y points down).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.toyworld.spec import ACTION_NAMES

_DIRECTIONS = {"left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0)}


@dataclass(frozen=True)
class Motion:
    """Pose over time of one object performing one motion pattern.

    Progress p = (t - start) / duration; clamp=True holds the first/last pose outside [0, 1].
    x, y, radius, angle: pose at p = 0 (bounce: the ground point; radius in pixels, angle in radians).
    amount: change over p in [0, 1]: travel in px (left/right/up/down), turn in rad (rotate_*),
            log of the size ratio (grow/shrink), hop height in px (bounce); unused by stay.
    cycles: hops per unit progress (bounce).
    wrap:   (x_min, y_min, x_max, y_max) world box inside which translations wrap around, or None.
    """

    action: int
    x: float
    y: float
    radius: float
    angle: float
    amount: float = 0.0
    start: float = 0.0
    duration: float = 1.0
    cycles: float = 1.0
    clamp: bool = False
    wrap: tuple[float, float, float, float] | None = None

    def pose(self, t: float) -> tuple[float, float, float, float]:
        """(x, y, radius, angle) at frame t."""
        p = (t - self.start) / self.duration
        if self.clamp:
            p = min(max(p, 0.0), 1.0)
        x, y, r, a = self.x, self.y, self.radius, self.angle
        name = ACTION_NAMES[self.action]
        if name in _DIRECTIONS:
            dx, dy = _DIRECTIONS[name]
            x, y = x + dx * self.amount * p, y + dy * self.amount * p
            if self.wrap is not None:
                x0, y0, x1, y1 = self.wrap
                x = x0 + (x - x0) % (x1 - x0)
                y = y0 + (y - y0) % (y1 - y0)
        elif name == "rotate_cw":
            a += self.amount * p
        elif name == "rotate_ccw":
            a -= self.amount * p
        elif name == "grow":
            r *= float(np.exp(self.amount * p))
        elif name == "shrink":
            r *= float(np.exp(-self.amount * p))
        elif name == "bounce":
            y -= self.amount * abs(np.sin(np.pi * self.cycles * p))
        return x, y, r, a

    def matrix(self, t: float) -> np.ndarray:
        """(3, 3) float64 affine map from local shape coordinates (unit radius) to world pixels at frame t."""
        x, y, r, a = self.pose(t)
        c, s = r * np.cos(a), r * np.sin(a)
        return np.array([[c, -s, x], [s, c, y], [0.0, 0.0, 1.0]])

    def radius_range(self, t0: float, t1: float) -> tuple[float, float]:
        """Smallest and largest radius over frames [t0, t1] (size changes are monotonic)."""
        r0, r1 = self.pose(t0)[2], self.pose(t1)[2]
        return min(r0, r1), max(r0, r1)


@dataclass(frozen=True)
class Camera:
    """World -> screen map per frame: a pan of the centre and a zoom, each linear plus a slow sway.

    centre(t) = (cx + vx t + ax sin(2 pi t / period + phase_x), cy + vy t + ay sin(...+ phase_y))
    zoom(t)   = exp(zoom_rate t + az sin(2 pi t / period_zoom + phase_z))
    The world point centre(t) is shown at the middle of the (height, width) frame.
    """

    height: int
    width: int
    cx: float
    cy: float
    vx: float = 0.0
    vy: float = 0.0
    zoom_rate: float = 0.0
    zoom0: float = 1.0
    sway: tuple[float, float, float] = (0.0, 0.0, 0.0)  # ax, ay (px), az (log zoom)
    periods: tuple[float, float, float] = (500.0, 700.0, 600.0)
    phases: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def state(self, t: float) -> tuple[float, float, float]:
        """(centre x, centre y, zoom) at frame t."""
        wave = [amp * np.sin(2 * np.pi * t / per + ph) for amp, per, ph in zip(self.sway, self.periods, self.phases)]
        zoom = self.zoom0 * np.exp(self.zoom_rate * t + wave[2])
        return self.cx + self.vx * t + wave[0], self.cy + self.vy * t + wave[1], float(zoom)

    def matrix(self, t: float) -> np.ndarray:
        """(3, 3) float64 affine map from world pixels to screen pixels at frame t."""
        cx, cy, z = self.state(t)
        mx, my = (self.width - 1) / 2.0, (self.height - 1) / 2.0
        return np.array([[z, 0.0, mx - z * cx], [0.0, z, my - z * cy], [0.0, 0.0, 1.0]])

    @classmethod
    def still(cls, height: int, width: int) -> "Camera":
        return cls(height=height, width=width, cx=(width - 1) / 2.0, cy=(height - 1) / 2.0)
