"""A real photograph under a camera pan and zoom, with its exact flow: non-toy content for testing methods.

The photograph is matplotlib's sample image `grace_hopper.jpg` (an official U.S. Navy portrait of
Grace Hopper, a U.S. government work in the public domain), which ships inside the matplotlib wheel.
"""
from __future__ import annotations

import math
from functools import lru_cache

import cv2
import numpy as np

from lib.toyworld.clips import render_sequence
from lib.toyworld.motion import Camera
from lib.toyworld.render import Scene
from lib.toyworld.spec import BACKGROUND_ACTION, ToyClip

PHOTO_NAME = "grace_hopper.jpg"
PHOTO_PROVENANCE = ("Photograph of Grace Hopper (official U.S. Navy portrait, public domain as a work of the U.S. "
                    "federal government), from matplotlib's bundled sample data: "
                    "matplotlib.cbook.get_sample_data('grace_hopper.jpg')")


@lru_cache(maxsize=1)
def load_photo() -> np.ndarray:
    """(H, W, 3) uint8 RGB of matplotlib's grace_hopper.jpg (read-only)."""
    from matplotlib import cbook

    path = cbook.get_sample_data(PHOTO_NAME, asfileobj=False)
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(f"could not read matplotlib's sample photo {path}")
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    image.setflags(write=False)
    return image


def photo_pan_scene(num_frames: int, height: int, width: int, seed: int, noise_std: float = 0.0) -> Scene:
    """The scene of `photo_pan_clip`: the photograph as background, a linear pan and zoom, no objects."""
    rng = np.random.default_rng(seed)
    photo = load_photo()
    # Scale the photo so the frame sees a bit over half of it at zoom 1 (room to pan and zoom out).
    factor = 1.6 * max(height, width) / min(photo.shape[:2])
    size = (round(photo.shape[1] * factor), round(photo.shape[0] * factor))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    texture = cv2.resize(photo, size, interpolation=interp).astype(np.float32)
    ph, pw = texture.shape[:2]
    span = max(num_frames - 1, 1)
    zoom_total = rng.uniform(-0.2, 0.2)
    z_min = math.exp(min(0.0, zoom_total))
    half_w, half_h = (width - 1) / (2 * z_min), (height - 1) / (2 * z_min)
    lo = np.array([half_w, half_h])
    hi = np.array([pw - 1 - half_w, ph - 1 - half_h])
    start = rng.uniform(lo, hi)
    heading = rng.uniform(0, 2 * math.pi)
    travel = rng.uniform(0.1, 0.3) * min(height, width)
    end = np.clip(start + travel * np.array([math.cos(heading), math.sin(heading)]), lo, hi)
    camera = Camera(height=height, width=width, cx=float(start[0]), cy=float(start[1]),
                    vx=float(end[0] - start[0]) / span, vy=float(end[1] - start[1]) / span, zoom_rate=zoom_total / span)
    return Scene(height=height, width=width, background=texture, background_offset=(0.0, 0.0), camera=camera,
                 noise_std=noise_std, noise_seed=int(rng.integers(2**31)))


def photo_pan_clip(num_frames: int = 48, height: int = 128, width: int = 128, seed: int = 0, *, fps: float = 25.0,
                   noise_std: float = 0.0) -> ToyClip:
    """A camera panning (0.1-0.3 of the frame) and zooming (up to +-20 %) over a real photograph.

    Returns a ToyClip with exact flow and occlusion (pixels that leave the view); semantic and instance
    maps are all 0 and action is -1. The view always stays inside the photograph.
    """
    scene = photo_pan_scene(num_frames, height, width, seed, noise_std)
    return render_sequence(scene, num_frames, fps, seed, BACKGROUND_ACTION)
