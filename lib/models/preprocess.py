"""Video preprocessing without torchvision: resize, centre-crop and normalise frames.

transformers' *VideoProcessor classes need torchvision, which does not work here, so clips are prepared
by hand. Two paths:
  video_to_tensor(frames, size=...)        torch, antialiased bilinear: the bundled toy models' input.
  preprocess_frames(frames, config)        a hub checkpoint's own image processor, step for step (PIL resize
                                           with its resample filter, integer centre crop, rescale, normalise);
                                           equal to transformers' Pil image processors (tests/test_preprocess.py).
                                           A *video* processor (V-JEPA 2) resizes uint8 tensors with torch's
                                           antialiased interpolation instead (resize_backend "torch"), as its
                                           torchvision path does (tests/test_preprocess_models.py).
The numbers come from the checkpoint's preprocessor_config.json: the cached hub file, else the copy kept in
assets/hub_configs/<ORG>--<NAME>/ (values and sources in lib/models/catalog_hub.py), else the family defaults.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from lib.models.hub import cached_file

BILINEAR, BICUBIC = 2, 3  # PIL resample codes, as in preprocessor_config.json
HUB_CONFIGS = Path(__file__).resolve().parents[2] / "assets" / "hub_configs"

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
KINETICS_MEAN = (0.45, 0.45, 0.45)  # SlowFast convention (timesformer-base-finetuned-ssv2 ships it; K400 does not)
KINETICS_STD = (0.225, 0.225, 0.225)
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
HALF = (0.5, 0.5, 0.5)

# Normalisation each family's catalogued checkpoints ship (CHECKPOINTS.md), for when no config is found.
FAMILY_NORMALISATION: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    "videomae": (IMAGENET_MEAN, IMAGENET_STD),  # MCG-NJU K400 ships 0.485/0.229 (class default is 0.5/0.5)
    "timesformer": (HALF, HALF),  # facebook/timesformer-base-finetuned-k400 ships 0.5/0.5
    "clip": (CLIP_MEAN, CLIP_STD),
    "vit": (HALF, HALF),
    "mask2former": (IMAGENET_MEAN, IMAGENET_STD),
}


@dataclass(frozen=True)
class PreprocessConfig:
    """How to turn uint8 frames into model input.

    size: the model's input size: int = size x size, or (height, width) (video_to_tensor's target).
    mean, std: per-channel normalisation of values in [0, 1] (to_unit_scale converts 0-255 ones).
    crop: centre-crop to `size` after resizing (else the resize alone gives the size).
    resize: the processor's resize: int = short side to this, aspect kept (transformers' shortest_edge:
            the long side is int(resize * long / short)); (height, width) = fixed, aspect not kept
            (ViT, Mask2Former); None: derived from size and crop (cover + crop, or stretch).
    resample: PIL filter code of the resize (2 bilinear, 3 bicubic).
    rescale: factor from uint8 to [0, 1] before normalising.
    resize_backend: "pil" (transformers' image processors) or "torch" (its video processors: torchvision's
            resize of uint8 tensors, i.e. torch's antialiased interpolate; PIL differs by 1 level on ~0.1 % of pixels).
    """

    size: int | tuple[int, int]
    mean: tuple[float, ...] = IMAGENET_MEAN
    std: tuple[float, ...] = IMAGENET_STD
    crop: bool = True
    resize: int | tuple[int, int] | None = None
    resample: int = BILINEAR
    rescale: float = 1 / 255
    resize_backend: str = "pil"

    @property
    def input_size(self) -> tuple[int, int]:
        """(height, width) of the frames the model receives."""
        return _target(self.size)


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



def to_unit_scale(mean: Sequence[float], std: Sequence[float]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean/std for pixels in [0, 1]. Detectron2-style values on the 0-255 scale (Mask2Former's original
    configs: 123.675, 116.28, 103.53 / 58.395, 57.12, 57.375) are divided by 255; [0, 1] ones pass unchanged.
    The one place this conversion happens (every config goes through `config_from_processor`)."""
    mean, std = tuple(float(v) for v in mean), tuple(float(v) for v in std)
    if max(mean) > 1.0 or max(std) > 1.0:
        return tuple(v / 255.0 for v in mean), tuple(v / 255.0 for v in std)
    return mean, std


# Processor classes that read an int `size` as the shortest edge (default_to_square = False); the others
# (ViT, SigLIP, ... : transformers' default) read it as a square.
SHORTEST_EDGE_TYPES = ("VideoMAE", "CLIP", "Bit", "ConvNext", "VJEPA2")


def _int_size_is_short_side(raw: dict) -> bool:
    kind = str(raw.get("image_processor_type") or raw.get("feature_extractor_type") or "")
    if kind:
        return kind.startswith(SHORTEST_EDGE_TYPES)
    return bool(raw.get("do_center_crop", False))  # no type: transformers' default (square) unless it crops


def _pair(value, short_side: bool = True) -> tuple[int, int] | int | None:
    """A transformers size entry -> int (shortest edge), (height, width), or None."""
    if isinstance(value, int):
        return value if short_side else (value, value)
    if isinstance(value, dict):
        if "height" in value and "width" in value:
            return int(value["height"]), int(value["width"])
        if "shortest_edge" in value:
            return int(value["shortest_edge"])
    return None


def config_from_processor(raw: dict, *, family: str | None = None, image_size: int | None = None) -> PreprocessConfig:
    """A transformers image-processor config (preprocessor_config.json as a dict) -> PreprocessConfig.

    Follows the Pil processors: an int `size` means the shortest edge for VideoMAE/CLIP-style processors
    (SHORTEST_EDGE_TYPES) and a square for the others (ViT); a {"height", "width"} size is a fixed resize
    (Mask2Former; its size_divisor rounds it up);
    a centre crop to crop_size (default size x size for an int) when do_center_crop. Missing mean/std fall
    back to the family's (FAMILY_NORMALISATION), a missing size to `image_size` (224 when None).
    """
    default_mean, default_std = FAMILY_NORMALISATION.get(family or "", (IMAGENET_MEAN, IMAGENET_STD))
    mean, std = to_unit_scale(raw.get("image_mean", default_mean), raw.get("image_std", default_std))
    resize = _pair(raw.get("size"), _int_size_is_short_side(raw)) if raw.get("do_resize", True) else None
    if resize is None and raw.get("do_resize", True):
        resize = int(image_size or 224)
    divisor = int(raw.get("size_divisor") or 0)
    if isinstance(resize, tuple) and divisor > 0:
        resize = tuple(int(math.ceil(v / divisor) * divisor) for v in resize)
    crop = bool(raw.get("do_center_crop", isinstance(resize, int)))
    crop_size = _pair(raw.get("crop_size")) if crop else None
    if crop and crop_size is None:
        crop_size = resize if resize is not None else int(image_size or 224)
    size = crop_size if crop else (resize if resize is not None else int(image_size or 224))
    return PreprocessConfig(size=size, mean=mean, std=std, crop=crop, resize=resize,
                            resample=int(raw.get("resample", BILINEAR)),
                            rescale=float(raw.get("rescale_factor", 1 / 255)) if raw.get("do_rescale", True) else 1.0,
                            resize_backend="torch" if raw.get("video_processor_type") else "pil")


def _resize_shape(height: int, width: int, config: PreprocessConfig) -> tuple[int, int]:
    """(height, width) after the processor's resize step (transformers' get_resize_output_image_size)."""
    resize = config.resize
    if resize is None:  # legacy configs: cover the target (crop) or stretch to it
        out_h, out_w = config.input_size
        if not config.crop:
            return out_h, out_w
        scale = max(out_h / height, out_w / width)
        return max(out_h, round(height * scale)), max(out_w, round(width * scale))
    if isinstance(resize, tuple):
        return int(resize[0]), int(resize[1])
    if width <= height:
        return int(resize * height / width), int(resize)
    return int(resize), int(resize * width / height)


def resize_frames(frames: np.ndarray, config: PreprocessConfig) -> np.ndarray:
    """(T, H, W, 3) uint8 RGB -> (T, h, w, 3) uint8: the processor's resize (PIL, its resample filter) and
    centre crop (top = (H' - h) // 2, as transformers). Frames already at the input size pass unchanged."""
    from PIL import Image

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"expected uint8 frames of shape (T, H, W, 3), got {frames.dtype} {frames.shape}")
    out_h, out_w = config.input_size
    if frames.shape[1:3] == (out_h, out_w):
        return frames
    new_h, new_w = _resize_shape(frames.shape[1], frames.shape[2], config)
    if config.resize_backend == "torch":
        return _resize_frames_torch(frames, config, (new_h, new_w))
    out = np.empty((len(frames), out_h, out_w, 3), np.uint8)
    for i, frame in enumerate(frames):
        image = Image.fromarray(np.ascontiguousarray(frame))
        if (new_h, new_w) != frame.shape[:2]:
            image = image.resize((new_w, new_h), resample=Image.Resampling(config.resample))
        resized = np.asarray(image)  # (new_h, new_w, 3)
        top, left = max(0, (new_h - out_h) // 2), max(0, (new_w - out_w) // 2)
        out[i] = resized[top:top + out_h, left:left + out_w]
    return out


_TORCH_MODES = {BILINEAR: "bilinear", BICUBIC: "bicubic"}


def _resize_frames_torch(frames: np.ndarray, config: PreprocessConfig, shape: tuple[int, int]) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, h, w, 3) uint8 as a transformers video processor does it: antialiased torch
    interpolation of the uint8 frames (what torchvision's resize calls), then the crop at int((H' - h) / 2)."""
    out_h, out_w = config.input_size
    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)  # (T, 3, H, W) uint8
    if shape != tuple(video.shape[-2:]):
        video = F.interpolate(video.contiguous(memory_format=torch.channels_last), size=shape,
                              mode=_TORCH_MODES[config.resample], antialias=True, align_corners=False)
    top, left = max(0, (shape[0] - out_h) // 2), max(0, (shape[1] - out_w) // 2)
    return np.ascontiguousarray(video[..., top:top + out_h, left:left + out_w].permute(0, 2, 3, 1).numpy())


def normalise_frames(frames: np.ndarray, config: PreprocessConfig) -> torch.Tensor:
    """(T, h, w, 3) uint8 -> (T, 3, h, w) float32: rescale, then (x - mean) / std (no resizing)."""
    video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() * config.rescale
    mean = torch.tensor(config.mean, dtype=torch.float32).view(1, -1, 1, 1)
    std = torch.tensor(config.std, dtype=torch.float32).view(1, -1, 1, 1)
    return ((video - mean) / std).contiguous()


def preprocess_frames(frames: np.ndarray, config: PreprocessConfig) -> torch.Tensor:
    """(T, H, W, 3) uint8 RGB -> (T, 3, h, w) float32, exactly as the checkpoint's image processor does it
    (resize_frames, then normalise_frames). Add a batch axis for video models: (1, T, 3, h, w)."""
    return normalise_frames(resize_frames(frames, config), config)


def read_preprocessor_config(location: str | Path) -> dict | None:
    """preprocessor_config.json of a local folder or a cached hub id as a dict, or None; never downloads."""
    path = cached_file(location, "preprocessor_config.json")
    if path is None:
        return None
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def kept_config_path(repo_id: str) -> Path:
    """assets/hub_configs/<ORG>--<NAME>/preprocessor_config.json: the copy of a hub checkpoint's file kept in
    the repo (may not exist)."""
    return HUB_CONFIGS / str(repo_id).replace("/", "--") / "preprocessor_config.json"


def preprocess_config(
    location: str | Path, *, family: str | None = None, image_size: int | None = None
) -> PreprocessConfig:
    """Preprocessing for the model at `location` (folder or hub id).

    Uses its preprocessor_config.json: the local folder's or the cached hub file, else the copy kept in
    assets/hub_configs; without one, the family's normalisation (FAMILY_NORMALISATION, ImageNet when unknown)
    and `image_size` (224 when None), short side then centre crop.
    """
    raw = read_preprocessor_config(location)
    if raw is None and not Path(location).is_dir() and kept_config_path(str(location)).is_file():
        raw = json.loads(kept_config_path(str(location)).read_text(encoding="utf-8"))
    return config_from_processor(raw or {"do_center_crop": True}, family=family, image_size=image_size)


def spec_preprocess_config(spec) -> PreprocessConfig:
    """PreprocessConfig for a registry ModelSpec (bundled folders may hold a preprocessor_config.json too)."""
    from lib.models.registry import REPO_ROOT

    location = REPO_ROOT / spec.location if spec.source == "bundled" else spec.location
    return preprocess_config(location, family=spec.family, image_size=spec.image_size)
