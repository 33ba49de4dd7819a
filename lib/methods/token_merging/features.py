"""Per-frame features for LongVLM-style merging, from the bundled FrameViT or a pretrained image tower.

What LongVLM (Weng et al., ECCV 2024; ziplab/LongVLM) takes from its frame encoder: the penultimate
layer's patch tokens (CLS dropped) as local features, and the CLS token of every hidden state for the
global tokens. For ToMe's metric we also take the last layer's attention keys (computed from the
penultimate layer, as the last block sees it). The pretrained towers (CLIP, SigLIP 2, DINOv2) differ in
where these live and whether a CLS exists at all: lib.methods.token_merging.towers holds that as data.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch

from lib.methods.token_merging.towers import (
    GLOBAL_FROM_CLS,
    default_preprocess,
    tower_features,
    tower_layout,
)
from lib.models.precision import inference_precision
from lib.models.preprocess import (
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
    cls_states: (T, L, C) float32 one summary token per hidden state (L: embeddings first): the CLS token, or
                for a tower without CLS (SigLIP) the mean of that state's patch tokens (see global_from).
    grid:       (rows, cols) of the patch grid, rows * cols == P.
    global_from: "cls" or "patch-mean": what cls_states holds (lib.methods.token_merging.towers).
    """

    patches: torch.Tensor
    keys: torch.Tensor
    cls_states: torch.Tensor
    grid: tuple[int, int]
    global_from: str = GLOBAL_FROM_CLS

    def frames(self, start: int, stop: int) -> FrameFeatures:
        """The features of frames start..stop-1 (one segment of a clip encoded at once)."""
        return replace(self, patches=self.patches[start:stop], keys=self.keys[start:stop],
                       cls_states=self.cls_states[start:stop])


def _frame_vit_features(model, pixels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    out = model.encode(pixels, output_hidden=True, output_keys=True)
    cls = torch.stack([h[:, 0] for h in out.hidden], dim=1)
    return out.hidden[-2][:, 1:], out.last_keys[:, 1:], cls


def is_frame_vit(model) -> bool:
    return hasattr(model, "encode") and hasattr(model, "grid")


def encoder_geometry(model, preprocess: PreprocessConfig | None = None
                     ) -> tuple[int, tuple[int, int], tuple[float, ...], tuple[float, ...]]:
    """(input side in pixels, patch grid, normalisation mean, std) of a FrameViT or a pretrained tower.

    For a tower the side is its processor's input size (`preprocess`, else the family's default_preprocess),
    not the config's image_size: DINOv2's config says 518 (its position-embedding grid) and it takes 224.
    """
    if is_frame_vit(model):
        return int(model.image_size), (model.grid, model.grid), IMAGENET_MEAN, IMAGENET_STD
    if tower_layout(model) is None:
        raise TypeError(f"{type(model).__name__} is neither a FrameViT nor a CLIP, SigLIP or DINOv2 vision tower")
    config = preprocess or default_preprocess(model)
    height, width = config.input_size
    patch = int(getattr(model.config, "vision_config", model.config).patch_size)
    return height, (height // patch, width // patch), config.mean, config.std


def encoder_preprocess(model) -> PreprocessConfig | None:
    """How a tower's frames are prepared when no checkpoint config is at hand: its family's image processor
    (towers.default_preprocess). None for the bundled FrameViT, which takes its square toy-world frames
    stretched, as it was trained."""
    if is_frame_vit(model):
        return None
    return default_preprocess(model)


@torch.no_grad()
def encode_frames(model, frames: np.ndarray, *, batch: int = 16, preprocess: PreprocessConfig | None = None,
                  on_batch: Callable[[int, int], None] | None = None) -> FrameFeatures:
    """(T, H, W, 3) uint8 frames -> FrameFeatures.

    preprocess: the checkpoint's image processor (lib.models.preprocess.preprocess_frames: CLIP's and DINOv2's
    short side + centre crop, SigLIP's fixed square), so the patch grid covers what the checkpoint sees; frames
    already at its input size pass as they are (run_token_merging always passes one for a tower). None: frames
    stretched (antialiased bilinear) to the encoder's square input with its family's mean/std (the bundled
    FrameViT, as it was trained).
    on_batch(done, total): called after each batch with the frames encoded so far (progress).
    """
    layout = tower_layout(model)
    side, grid, mean, std = encoder_geometry(model, preprocess)
    device = next(model.parameters()).device
    parts: list[tuple[torch.Tensor, ...]] = []
    # a pretrained tower runs in the precision lib.models.precision picks (bfloat16 on CPUs that have it);
    # the bundled FrameViT stays float32
    precision = contextlib.nullcontext() if layout is None else inference_precision(device)
    with precision:
        for start in range(0, len(frames), batch):
            chunk = frames[start:start + batch]
            pixels = (video_to_tensor(chunk, size=side, mean=mean, std=std, crop=False) if preprocess is None
                      else preprocess_frames(chunk, preprocess)).to(device)
            feats = _frame_vit_features(model, pixels) if layout is None else tower_features(model, layout, pixels)
            parts.append(tuple(t.float().cpu() for t in feats))
            if on_batch is not None:
                on_batch(start + len(chunk), len(frames))
    patches, keys, cls = (torch.cat(chunk) for chunk in zip(*parts))
    if patches.shape[1] != grid[0] * grid[1]:
        raise ValueError(f"encoder gave {patches.shape[1]} patches, expected a {grid} grid")
    return FrameFeatures(patches=patches, keys=keys, cls_states=cls, grid=grid,
                         global_from=GLOBAL_FROM_CLS if layout is None else layout.global_from)
