"""Video preprocessing without torchvision: resize, centre-crop and normalise frames in torch.

transformers' *VideoProcessor classes need torchvision, which does not work here, so clips are
prepared by hand with the numbers from the model's preprocessor_config.json when it is cached.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from lib.models.hub import cached_file

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
KINETICS_MEAN = (0.45, 0.45, 0.45)  # TimeSformer / SlowFast convention
KINETICS_STD = (0.225, 0.225, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
HALF = (0.5, 0.5, 0.5)

# Normalisation each family was trained with, for when its preprocessor config is not cached.
FAMILY_NORMALISATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "videomae": (IMAGENET_MEAN, IMAGENET_STD),
    "timesformer": (KINETICS_MEAN, KINETICS_STD),
    "clip": (CLIP_MEAN, CLIP_STD),
    "vit": (HALF, HALF),
    "mask2former": (IMAGENET_MEAN, IMAGENET_STD),
}


@dataclass(frozen=True)
class PreprocessConfig:
    """How to turn uint8 frames into model input.

    size: int = resize the short side to `size` (then centre-crop to size x size if `crop`);
          (height, width) = resize to cover it, then centre-crop (or stretch when not `crop`).
    mean, std: per-channel normalisation of values in [0, 1].
    """

    size: int | tuple[int, int]
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    crop: bool = True


def _target(size: int | Sequence[int]) -> tuple[int, int]:
    if isinstance(size, int):
        return size, size
    height, width = size
    return int(height), int(width)


def video_to_tensor(
    frames: np.ndarray,
    *,
    size: int | tuple[int, int],
    mean: Sequence[float] = IMAGENET_MEAN,
    std: Sequence[float] = IMAGENET_STD,
    crop: bool = True,
) -> torch.Tensor:
    """Frames (T, H, W, 3) uint8 RGB -> float32 tensor (T, 3, S_h, S_w), normalised.

    With `crop`, frames are scaled (bilinear, antialiased) so they cover the target while keeping
    their aspect ratio, then centre-cropped; without it they are scaled straight to the target.
    Add a batch axis yourself: VideoMAE/TimeSformer take (B, T, 3, H, W).
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise ValueError(f"expected frames of shape (T, H, W, 3), got {frames.shape}")
    out_h, out_w = _target(size)
    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float().div_(255.0)  # (T,3,H,W)
    in_h, in_w = video.shape[-2:]
    if crop:
        scale = max(out_h / in_h, out_w / in_w)
        resize_to = (max(out_h, round(in_h * scale)), max(out_w, round(in_w * scale)))
    else:
        resize_to = (out_h, out_w)
    if resize_to != (in_h, in_w):
        video = F.interpolate(video, size=resize_to, mode="bilinear", align_corners=False, antialias=True)
    top = (video.shape[-2] - out_h) // 2
    left = (video.shape[-1] - out_w) // 2
    video = video[..., top : top + out_h, left : left + out_w].clamp_(0.0, 1.0)  # (T,3,S_h,S_w)
    mean_t = torch.tensor(mean, dtype=video.dtype).view(1, 3, 1, 1)
    std_t = torch.tensor(std, dtype=video.dtype).view(1, 3, 1, 1)
    return ((video - mean_t) / std_t).contiguous()


def read_preprocessor_config(location: str | Path) -> dict | None:
    """preprocessor_config.json of a local folder or a cached hub id as a dict, or None; never downloads."""
    path = cached_file(location, "preprocessor_config.json")
    if path is None:
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def _size_from(raw: dict, fallback: int | None) -> int | tuple[int, int] | None:
    """The final input size described by a transformers image-processor config."""
    for key in ("crop_size", "size"):
        if key == "crop_size" and not raw.get("do_center_crop", False):
            continue
        value = raw.get(key)
        if isinstance(value, int):
            return value
        if isinstance(value, dict):
            if "height" in value and "width" in value:
                return int(value["height"]), int(value["width"])
            if "shortest_edge" in value:
                return int(value["shortest_edge"])
    return fallback


def preprocess_config(
    location: str | Path, *, family: str | None = None, image_size: int | None = None
) -> PreprocessConfig:
    """Preprocessing for the model at `location` (folder or hub id).

    Uses its cached preprocessor_config.json when there is one; otherwise the family's known
    normalisation (FAMILY_NORMALISATION, ImageNet when unknown) and `image_size` (224 when None).
    """
    default_mean, default_std = FAMILY_NORMALISATION.get(family or "", (IMAGENET_MEAN, IMAGENET_STD))
    raw = read_preprocessor_config(location) or {}
    size = _size_from(raw, image_size) or 224
    mean = tuple(float(v) for v in raw.get("image_mean", default_mean))
    std = tuple(float(v) for v in raw.get("image_std", default_std))
    crop = bool(raw.get("do_center_crop", True)) if raw else True
    return PreprocessConfig(size=size, mean=mean, std=std, crop=crop)


def spec_preprocess_config(spec) -> PreprocessConfig:
    """PreprocessConfig for a registry ModelSpec (bundled folders may hold a preprocessor_config.json too)."""
    from lib.models.registry import REPO_ROOT

    location = REPO_ROOT / spec.location if spec.source == "bundled" else spec.location
    return preprocess_config(location, family=spec.family, image_size=spec.image_size)
