"""Per-frame features for LongVLM-style merging, from the bundled FrameViT or a CLIP vision tower.

What LongVLM (Weng et al., ECCV 2024; ziplab/LongVLM) takes from its frame encoder: the penultimate
layer's patch tokens (CLS dropped) as local features, and the CLS token of every hidden state for the
global tokens. For
ToMe's metric we also take the last layer's attention keys (computed from the penultimate layer, as the
last block sees it).
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from lib.models.precision import inference_precision
from lib.models.preprocess import (
    BICUBIC,
    CLIP_MEAN,
    CLIP_STD,
    IMAGENET_MEAN,
    IMAGENET_STD,
    PreprocessConfig,
    preprocess_frames,
    video_to_tensor,
)


@dataclass(frozen=True)
class FrameFeatures:
    """Features of T frames.

    patches:    (T, P, C) float32 penultimate-layer patch tokens, CLS dropped, row-major patch grid.
    keys:       (T, P, Ck) float32 last-layer attention keys of the patches (heads concatenated).
    cls_states: (T, L, C) float32 CLS token of each of the L hidden states (embeddings first).
    grid:       (rows, cols) of the patch grid, rows * cols == P.
    """

    patches: torch.Tensor
    keys: torch.Tensor
    cls_states: torch.Tensor
    grid: tuple[int, int]


def _frame_vit_features(model, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    out = model.encode(pixels, output_hidden=True, output_keys=True)
    cls = torch.stack([h[:, 0] for h in out.hidden], dim=1)
    return out.hidden[-2][:, 1:], out.last_keys[:, 1:], cls


def _clip_features(model, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    vision = getattr(model, "vision_model", model)
    out = vision(pixel_values=pixels, output_hidden_states=True)
    states = out.hidden_states  # L + 1 tensors (B, 1 + P, C)
    last = vision.encoder.layers[-1]
    keys = last.self_attn.k_proj(last.layer_norm1(states[-2]))
    cls = torch.stack([h[:, 0] for h in states], dim=1)
    return states[-2][:, 1:], keys[:, 1:], cls


def encoder_geometry(model) -> tuple[int, tuple[int, int], tuple[float, ...], tuple[float, ...]]:
    """(input side in pixels, patch grid, normalisation mean, std) of a FrameViT or CLIP vision model."""
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "vision_config"):
        config = config.vision_config
    if config is not None and hasattr(config, "patch_size") and hasattr(config, "image_size"):
        side = int(config.image_size)
        return side, (side // config.patch_size,) * 2, CLIP_MEAN, CLIP_STD
    if hasattr(model, "grid") and hasattr(model, "image_size"):
        return int(model.image_size), (model.grid, model.grid), IMAGENET_MEAN, IMAGENET_STD
    raise TypeError(f"{type(model).__name__} is neither a FrameViT nor a CLIP vision model")


def is_frame_vit(model) -> bool:
    return hasattr(model, "encode") and hasattr(model, "grid")


def encoder_preprocess(model) -> PreprocessConfig | None:
    """How a CLIP tower's frames are prepared when no checkpoint config is at hand: CLIPImageProcessor's
    defaults at the tower's image size (short side, centre crop, bicubic, CLIP mean/std). None for the
    bundled FrameViT, which takes its square toy-world frames stretched, as it was trained."""
    if is_frame_vit(model):
        return None
    side = encoder_geometry(model)[0]
    return PreprocessConfig(size=side, mean=CLIP_MEAN, std=CLIP_STD, crop=True, resize=side, resample=BICUBIC)


@torch.no_grad()
def encode_frames(model, frames: np.ndarray, *, batch: int = 16,
                  preprocess: PreprocessConfig | None = None) -> FrameFeatures:
    """(T, H, W, 3) uint8 frames -> FrameFeatures.

    preprocess: the checkpoint's image processor (lib.models.preprocess.preprocess_frames: a CLIP tower's
    short side, centre crop, bicubic), so the patch grid covers the centre crop; frames already at its input
    size pass as they are. None: stretched to the encoder's square input (the bundled FrameViT).
    """
    side, grid, mean, std = encoder_geometry(model)
    extract = _frame_vit_features if is_frame_vit(model) else _clip_features
    device = next(model.parameters()).device
    parts: list[tuple[torch.Tensor, ...]] = []
    # a pretrained CLIP tower runs in the precision lib.models.precision picks (bfloat16 on CPUs that have it);
    # the bundled FrameViT stays float32
    precision = contextlib.nullcontext() if is_frame_vit(model) else inference_precision(device)
    with precision:
        for start in range(0, len(frames), batch):
            chunk = frames[start:start + batch]
            pixels = (video_to_tensor(chunk, size=side, mean=mean, std=std, crop=False) if preprocess is None
                      else preprocess_frames(chunk, preprocess))
            parts.append(tuple(t.float().cpu() for t in extract(model, pixels.to(device))))
    patches, keys, cls = (torch.cat(chunk) for chunk in zip(*parts))
    if patches.shape[1] != grid[0] * grid[1]:
        raise ValueError(f"encoder gave {patches.shape[1]} patches, expected a {grid} grid")
    return FrameFeatures(patches=patches, keys=keys, cls_states=cls, grid=grid)
