"""The encoders benchmarks/encoder_runtimes.py measures: full-size rehearsals (or tiny twins) and their inputs.

Built from assets/hub_configs/ORG--NAME/config.json with seeded random weights (as lib.models.rehearsal), so
timings are real and outputs meaningless. `Head` makes each model one tensor out, the tensor the app uses.
"""
from __future__ import annotations

import json
import types
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIGS = REPO_ROOT / "assets" / "hub_configs"

@dataclass(frozen=True)
class Case:
    """One model: its hub id (config folder), how to build it, its input and what its output is."""

    name: str
    repo_id: str
    kind: str  # "clip" | "vit" | "videomae" | "mask2former"
    has_logits: bool  # top-1 agreement is meaningful (classes along the last axis, or per-pixel classes)


CASES = (
    Case("clip-vit-b16", "openai/clip-vit-base-patch16", "clip", False),
    Case("clip-vit-l14", "openai/clip-vit-large-patch14", "clip", False),
    Case("vit-b16-in1k", "google/vit-base-patch16-224", "vit", True),
    Case("videomae-base-k400", "MCG-NJU/videomae-base-finetuned-kinetics", "videomae", True),
    Case("mask2former-swin-t-ade", "facebook/mask2former-swin-tiny-ade-semantic", "mask2former", True),
)

# Tiny variants for --quick: same classes and code paths, a few thousand parameters.
_TINY_VIT = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
             "image_size": 32, "patch_size": 8}


def _config_dict(repo_id: str) -> dict:
    return json.loads((CONFIGS / repo_id.replace("/", "--") / "config.json").read_text(encoding="utf-8"))


def _seeded(repo_id: str, make: Callable[[], torch.nn.Module]) -> torch.nn.Module:
    """`make()` under a seed mixed with the hub id (as lib.models.rehearsal), the global RNG left as it was."""
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(zlib.crc32(repo_id.encode("utf-8")))
        return make().float().eval()
    finally:
        torch.random.set_rng_state(state)


def build_model(case: Case, quick: bool) -> torch.nn.Module:
    """The case's model in float32, eval mode, sdpa attention where the architecture has it."""
    import transformers as tf

    raw = _config_dict(case.repo_id)
    if case.kind == "clip":
        vision = dict(raw["vision_config"], projection_dim=raw["projection_dim"])
        vision.pop("model_type", None)
        if quick:
            vision.update(_TINY_VIT, projection_dim=16)
        config = tf.CLIPVisionConfig(**vision)
        make = lambda: tf.CLIPVisionModelWithProjection(config)  # noqa: E731
    elif case.kind == "vit":
        config = tf.ViTConfig.from_dict({**raw, **(_TINY_VIT | {"num_labels": 10} if quick else {})})
        make = lambda: tf.ViTForImageClassification(config)  # noqa: E731
    elif case.kind == "videomae":
        tiny = _TINY_VIT | {"num_frames": 4, "tubelet_size": 2, "num_labels": 10}
        config = tf.VideoMAEConfig.from_dict({**raw, **(tiny if quick else {})})
        make = lambda: tf.VideoMAEForVideoClassification(config)  # noqa: E731
    elif case.kind == "mask2former":
        if quick:
            raw = dict(raw, feature_size=32, mask_feature_size=32, hidden_dim=32, encoder_feedforward_dim=64,
                       encoder_layers=1, decoder_layers=2, num_attention_heads=2, dim_feedforward=64,
                       num_queries=8, num_labels=5,
                       backbone_config=dict(raw["backbone_config"], embed_dim=16, depths=[1, 1, 1, 1],
                                            num_heads=[1, 1, 2, 2]))
        config = tf.Mask2FormerConfig.from_dict(raw)
        make = lambda: tf.Mask2FormerForUniversalSegmentation(config)  # noqa: E731
    else:
        raise ValueError(case.kind)
    if case.kind != "mask2former":  # Mask2Former is eager only (STACK.md)
        config._attn_implementation = "sdpa"
    return _seeded(case.repo_id, make)


class Head(torch.nn.Module):
    """The model as one tensor out, the tensor the app uses: (B, D) embeds, (B, C) logits, (B, C, H, W) scores."""

    def __init__(self, model: torch.nn.Module, kind: str):
        super().__init__()
        self.model, self.kind = model, kind
        self.eval()

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        out = self.model(pixel_values=pixel_values)
        if self.kind == "clip":
            return out.image_embeds
        if self.kind == "mask2former":
            classes = out.class_queries_logits.softmax(-1)[..., :-1]  # (B, Q, C): drop "no object"
            return torch.einsum("bqc,bqhw->bchw", classes, out.masks_queries_logits.sigmoid())
        return out.logits


def fresh_head(head: Head, tag: str) -> Head:
    """`head` with a forward of its own code object: dynamo keys its compile cache on the code object and guards on
    tensors (not module identity), so two torch.compile modes of one model would otherwise share one entry."""
    forward = Head.forward
    code = forward.__code__.replace(co_name=f"forward_{tag.replace('-', '_')}")
    cls = type(f"Head_{tag.replace('-', '_')}", (Head,), {"forward": types.FunctionType(code, forward.__globals__)})
    return cls(head.model, head.kind)


def make_input(case: Case, model: torch.nn.Module, batch: int, quick: bool) -> torch.Tensor:
    """Seeded N(0, 1) pixels: (B, 3, S, S) for image models, (1, T, 3, S, S) for VideoMAE."""
    config = model.config
    generator = torch.Generator().manual_seed(0)
    if case.kind == "videomae":
        shape = (1, config.num_frames, 3, config.image_size, config.image_size)
    elif case.kind == "mask2former":
        side = 64 if quick else 384
        shape = (batch, 3, side, side)
    else:
        shape = (batch, 3, config.image_size, config.image_size)
    return torch.randn(shape, generator=generator)


def items_of(case: Case, x: torch.Tensor) -> int:
    """Frames (image models) or clips (VideoMAE) in one call."""
    return int(x.shape[0])


def count_flops(head: Head, x: torch.Tensor) -> float:
    """FLOPs of one forward on `x` (FlopCounterMode: a multiply-add counts 2)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        head(x)
    return float(counter.get_total_flops())
