"""Where each pretrained image tower keeps what LongVLM-style merging reads, as data (never a model-name switch).

Three transformers towers serve as frame encoders (one frame per input):
  CLIP ViT        CLS + P patches; CLS of every hidden state -> LongVLM's global tokens (as LongVLM does).
  SigLIP (2)      P patches and no CLS: SigLIP pools with a MAP head (attention pooling) on the last layer
                  only, so there is no per-layer summary token. The global tokens are then the mean of the
                  patch tokens of each hidden state, and the result says so (`global_from`).
  DINOv2          CLS + P patches (no registers in dinov2-small/base); its config's image_size (518) is the
                  position-embedding grid, interpolated to the input, so the patch grid comes from the
                  processor's input size, not from the config.
The layout is keyed by the config's model_type (an architecture, not a checkpoint name).
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

import torch

from lib.models.preprocess import (
    BICUBIC,
    BILINEAR,
    CLIP_MEAN,
    CLIP_STD,
    HALF,
    IMAGENET_MEAN,
    IMAGENET_STD,
    PreprocessConfig,
)

GLOBAL_FROM_CLS = "cls"
GLOBAL_FROM_PATCH_MEAN = "patch-mean"


@dataclass(frozen=True)
class TowerLayout:
    """Token layout and module paths of one transformers vision tower family.

    prefix:      tokens before the patches in every hidden state (CLS: 1; SigLIP: 0).
    global_from: what LongVLM's global tokens are built from: "cls" (the CLS token of each hidden state) or
                 "patch-mean" (the mean patch token of each hidden state, for towers without CLS).
    layers:      dotted path from the tower to its list of blocks.
    norm, key:   dotted paths inside a block to the pre-attention norm and the key projection (ToMe's metric:
                 keys of the last block, computed from the penultimate hidden state as that block sees it).
    families:    catalog families (lib.models.catalog) built on this tower.
    skip_head:   run the embeddings and blocks only, leaving out a pooling head whose output merging never reads
                 (SigLIP's MAP head: torch's nn.MultiheadAttention under CPU bfloat16 autocast took ~0.5 s per
                 6 frames for its single query, as long as several of the 12 blocks; profiled on 2 cores).
    """

    prefix: int
    global_from: str
    layers: str
    norm: str
    key: str
    families: tuple[str, ...]
    skip_head: bool = False

    def blocks(self, tower: torch.nn.Module) -> torch.nn.ModuleList:
        return operator.attrgetter(self.layers)(tower)


TOWERS: dict[str, TowerLayout] = {
    "clip_vision_model": TowerLayout(1, GLOBAL_FROM_CLS, "encoder.layers", "layer_norm1", "self_attn.k_proj",
                                     ("clip",)),
    "siglip_vision_model": TowerLayout(0, GLOBAL_FROM_PATCH_MEAN, "encoder.layers", "layer_norm1", "self_attn.k_proj",
                                       ("siglip",), skip_head=True),
    "dinov2": TowerLayout(1, GLOBAL_FROM_CLS, "encoder.layer", "norm1", "attention.k_proj", ("dinov2",)),
}
TOWER_FAMILIES: tuple[str, ...] = tuple(f for layout in TOWERS.values() for f in layout.families)


def vision_config(model):
    """The vision config of a transformers tower (CLIP's nested vision_config when given a full config), or None."""
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "vision_config"):
        config = config.vision_config
    return config


def tower_layout(model) -> TowerLayout | None:
    """The TowerLayout of a transformers vision tower, None for anything else (e.g. the bundled FrameViT)."""
    config = vision_config(model)
    return TOWERS.get(getattr(config, "model_type", None) or "")


def default_preprocess(model) -> PreprocessConfig:
    """The family's image processor when no checkpoint config is at hand (a tower passed in as a module).

    CLIP: CLIPImageProcessor's defaults at the tower's image size (short side, centre crop, bicubic, CLIP
    mean/std). SigLIP 2 FixRes: a fixed square resize to the tower's image size, bilinear, mean/std 0.5, no crop.
    DINOv2: as dinov2 ships it (short side 256, centre crop 224, bicubic, ImageNet mean/std), whatever the
    position-embedding size of its config. Sources: /work/shared/CHECKPOINTS.md sections 3, 6, 7.
    """
    config = vision_config(model)
    kind = getattr(config, "model_type", None)
    if kind == "dinov2":
        return PreprocessConfig(size=224, mean=IMAGENET_MEAN, std=IMAGENET_STD, crop=True, resize=256, resample=BICUBIC)
    side = int(config.image_size)
    if kind == "siglip_vision_model":
        return PreprocessConfig(size=side, mean=HALF, std=HALF, crop=False, resize=(side, side), resample=BILINEAR)
    if kind == "clip_vision_model":
        return PreprocessConfig(size=side, mean=CLIP_MEAN, std=CLIP_STD, crop=True, resize=side, resample=BICUBIC)
    raise TypeError(f"{type(model).__name__} is not a CLIP, SigLIP or DINOv2 vision tower")


def tower_features(model, layout: TowerLayout, pixels: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, 3, h, w) pixels -> penultimate patch tokens (B, P, C), last-block keys (B, P, Ck), global states (B, L, C).

    Global states: per hidden state (embeddings first, L = depth + 1), the CLS token or, for a tower without
    one, the mean of its patch tokens (layout.global_from).
    """
    tower = getattr(model, "vision_model", model)  # CLIPVisionModelWithProjection wraps it; SigLIP/DINOv2 do not
    if layout.skip_head:  # the same hidden states the tower's forward records (tests check), without its head
        x = tower.embeddings(pixels)  # (B, prefix + P, C)
        states = [x]
        for block in layout.blocks(tower):
            x = block(x, None)
            states.append(x)
    else:
        states = tower(pixel_values=pixels, output_hidden_states=True).hidden_states  # L x (B, prefix + P, C)
    last = layout.blocks(tower)[-1]
    norm, key = operator.attrgetter(layout.norm)(last), operator.attrgetter(layout.key)(last)
    keys = key(norm(states[-2]))  # (B, prefix + P, Ck)
    p0 = layout.prefix
    if layout.global_from == GLOBAL_FROM_CLS:
        summary = torch.stack([h[:, 0] for h in states], dim=1)  # (B, L, C)
    else:
        summary = torch.stack([h[:, p0:].mean(dim=1) for h in states], dim=1)  # (B, L, C)
    return states[-2][:, p0:], keys[:, p0:], summary
