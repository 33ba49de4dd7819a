"""Image degradations for robust training: what happens to a rendered frame before a model sees it in the app.

The app decodes an H.264 file and shrinks it with area averaging (lib.video.load_clip); real videos add
blur, sensor noise and colour shifts. Each function maps (T, H, W, 3) uint8 RGB frames to uint8 frames.
`draw_degradation` draws one set of parameters per clip (a video is degraded the same way in every frame)
from a seeded numpy Generator, and `apply_degradation` applies them in camera order: colour, blur, noise,
compression, then the downscale the app's loader does.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np


@dataclass(frozen=True)
class DegradeConfig:
    """Chance of each degradation per clip and the range its strength is drawn from (uniform).

    hue_deg stays small: toy-world class colour families are >= 55 degrees apart (textures.CLASS_HUES),
    so a shift of a few degrees keeps colour a meaningful (not decisive) cue.
    """

    jitter_prob: float = 0.5
    brightness: float = 0.15      # multiplicative, 1 +- this
    contrast: float = 0.15        # around the frame's mean grey, 1 +- this
    saturation: float = 0.2       # blend with grey, 1 +- this
    hue_deg: float = 8.0          # +- degrees
    grey_prob: float = 0.0        # drop colour entirely (shape must carry the class)
    blur_prob: float = 0.3
    blur_sigma: tuple[float, float] = (0.4, 1.2)  # pixels at the working size
    noise_prob: float = 0.3
    noise_std: tuple[float, float] = (1.0, 5.0)   # grey levels
    h264_prob: float = 0.35
    h264_crf: tuple[int, int] = (16, 32)
    jpeg_prob: float = 0.25       # only when H.264 was not drawn
    jpeg_quality: tuple[int, int] = (35, 90)


@dataclass(frozen=True)
class Degradation:
    """One draw of parameters (None / 0 = that step is skipped)."""

    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0
    hue_deg: float = 0.0
    grey: bool = False
    blur_sigma: float = 0.0
    noise_std: float = 0.0
    h264_crf: int | None = None
    jpeg_quality: int | None = None


def _check(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
    return frames


def area_resize(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, height, width, 3): area averaging when shrinking (as lib.video.load_clip
    does), bilinear when growing."""
    frames = _check(frames)
    if frames.shape[1:3] == (height, width):
        return frames
    shrink = height * width < frames.shape[1] * frames.shape[2]
    mode = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    return np.stack([cv2.resize(f, (width, height), interpolation=mode) for f in frames])


def nearest_resize_labels(labels: np.ndarray, height: int, width: int) -> np.ndarray:
    """(T, H, W) integer labels -> (T, height, width), nearest neighbour (as the tab resizes ground truth)."""
    labels = np.asarray(labels)
    if labels.shape[1:] == (height, width):
        return labels
    return np.stack([cv2.resize(l.astype(np.int32), (width, height), interpolation=cv2.INTER_NEAREST)
                     for l in labels]).astype(labels.dtype)


def adjust_colour(frames: np.ndarray, brightness: float = 1.0, contrast: float = 1.0, saturation: float = 1.0,
                  hue_deg: float = 0.0) -> np.ndarray:
    """Global colour change: hue rotation (degrees), saturation (blend with grey), contrast (around the
    clip's mean grey), brightness (scale). All identity at their defaults."""
    frames = _check(frames)
    x = frames.astype(np.float32)
    if hue_deg:
        hsv = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2HSV_FULL) for f in frames]).astype(np.int32)
        hsv[..., 0] = (hsv[..., 0] + round(hue_deg * 256 / 360)) % 256  # full-range hue: 256 steps per turn
        x = np.stack([cv2.cvtColor(h.astype(np.uint8), cv2.COLOR_HSV2RGB_FULL) for h in hsv]).astype(np.float32)
    grey = x @ np.array([0.299, 0.587, 0.114], np.float32)  # (T, H, W)
    x = grey[..., None] + saturation * (x - grey[..., None])
    x = grey.mean() + contrast * (x - grey.mean())
    return np.clip(x * brightness, 0, 255).round().astype(np.uint8)


def gaussian_blur(frames: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur with std `sigma` pixels (kernel 2 * ceil(3 sigma) + 1); sigma <= 0 returns the input."""
    frames = _check(frames)
    if sigma <= 0:
        return frames
    size = 2 * int(np.ceil(3 * sigma)) + 1
    return np.stack([cv2.GaussianBlur(f, (size, size), sigma, borderType=cv2.BORDER_REFLECT) for f in frames])


def add_noise(frames: np.ndarray, std: float, rng: np.random.Generator) -> np.ndarray:
    """Add i.i.d. Gaussian noise of `std` grey levels, rounded and clipped to uint8."""
    frames = _check(frames)
    if std <= 0:
        return frames
    noisy = frames.astype(np.float32) + rng.standard_normal(frames.shape, dtype=np.float32) * std
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def jpeg_round_trip(frames: np.ndarray, quality: int) -> np.ndarray:
    """Encode every frame as JPEG at `quality` (1-100) and decode it (OpenCV)."""
    frames = _check(frames)
    out = []
    for f in frames:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(f, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
        if not ok:
            raise RuntimeError("OpenCV could not encode a JPEG")
        out.append(cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB))
    return np.stack(out)


def h264_round_trip(frames: np.ndarray, crf: int, fps: float = 12.5, preset: str = "medium") -> np.ndarray:
    """Encode the frames as one H.264 clip (lib.video.write_mp4, yuv420p) and decode it back with the app's
    decoder (lib.video.load_clip, every frame, size kept). Odd sizes come back cropped to the input size."""
    from lib.video import load_clip, write_mp4  # deferred: decord/PyAV load only when this is used

    frames = _check(frames)
    with tempfile.TemporaryDirectory(prefix="degrade-") as tmp:
        path = write_mp4(frames, Path(tmp) / "clip.mp4", fps=fps, crf=int(crf), preset=preset)
        decoded = load_clip(path, num_frames=len(frames), short_side=None, max_frames=len(frames)).frames
    if len(decoded) != len(frames):
        raise RuntimeError(f"H.264 round trip returned {len(decoded)} of {len(frames)} frames")
    return np.ascontiguousarray(decoded[:, : frames.shape[1], : frames.shape[2]])


def draw_degradation(rng: np.random.Generator, config: DegradeConfig = DegradeConfig()) -> Degradation:
    """One clip's degradation parameters. Every random number is drawn whether used or not, so the
    sequence of draws (and the clips after this one) does not depend on which steps were picked."""
    u = rng.random(6)
    jitter = [float(v) for v in rng.uniform(-1, 1, 4)]
    sigma = float(rng.uniform(*config.blur_sigma))
    noise = float(rng.uniform(*config.noise_std))
    crf = int(rng.integers(config.h264_crf[0], config.h264_crf[1] + 1))
    quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
    use_jitter, use_h264 = u[0] < config.jitter_prob, u[3] < config.h264_prob
    return Degradation(
        brightness=1 + config.brightness * jitter[0] if use_jitter else 1.0,
        contrast=1 + config.contrast * jitter[1] if use_jitter else 1.0,
        saturation=1 + config.saturation * jitter[2] if use_jitter else 1.0,
        hue_deg=config.hue_deg * jitter[3] if use_jitter else 0.0,
        grey=bool(u[5] < config.grey_prob),
        blur_sigma=sigma if u[1] < config.blur_prob else 0.0,
        noise_std=noise if u[2] < config.noise_prob else 0.0,
        h264_crf=crf if use_h264 else None,
        jpeg_quality=quality if not use_h264 and u[4] < config.jpeg_prob else None)


def apply_degradation(frames: np.ndarray, params: Degradation, rng: np.random.Generator,
                      size: tuple[int, int] | None = None, fps: float = 12.5) -> np.ndarray:
    """Degrade a clip (T, H, W, 3) uint8: colour, blur, noise, H.264 or JPEG, then area-downscale to
    `size` (height, width) if given. `rng` draws the noise. Returns (T, h, w, 3) uint8."""
    out = _check(frames)
    if (params.brightness, params.contrast, params.saturation, params.hue_deg) != (1.0, 1.0, 1.0, 0.0):
        out = adjust_colour(out, params.brightness, params.contrast, params.saturation, params.hue_deg)
    if params.grey:
        out = adjust_colour(out, saturation=0.0)
    out = gaussian_blur(out, params.blur_sigma)
    out = add_noise(out, params.noise_std, rng)
    if params.h264_crf is not None:
        out = h264_round_trip(out, params.h264_crf, fps=fps)
    elif params.jpeg_quality is not None:
        out = jpeg_round_trip(out, params.jpeg_quality)
    return out if size is None else area_resize(out, *size)
