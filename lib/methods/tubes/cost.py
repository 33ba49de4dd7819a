"""Tokens and FLOPs of three ways to tokenise the same clip, counted for its shape, never typed in.

sparse tubes (TubeViT), dense non-overlapping tubelets (ViViT, 2xPxP), and per-frame 2-D patches
(TimeSformer's tokens, here with joint space-time attention over all of them). FLOPs come from
torch.utils.flop_counter on the real TubeViT module built on the meta device (no memory, no compute),
so any encoder size (e.g. ViT-B: 768 wide, 12 deep) costs nothing to count.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from lib.hooks.flops import count_flops
from lib.methods.tubes.geometry import TubeSpec, dense_tubelets, tube_layout


@dataclass(frozen=True)
class EncoderSize:
    """Transformer size used for FLOP counts: ViT-B by default."""

    dim: int = 768
    depth: int = 12
    heads: int = 12
    mlp_dim: int = 3072


@dataclass(frozen=True)
class TokeniserCost:
    """name, tokens, forward GFLOPs (tokeniser + encoder + pooling head, multiply-add = 2 FLOPs)."""

    name: str
    tokens: int
    gflops: float


def encoder_gflops(input_shape: Sequence[int], tubes: Sequence[TubeSpec], size: EncoderSize = EncoderSize()) -> float:
    """Forward GFLOPs of a TubeViT with these tubes on one (T, H, W) clip, counted on the meta device."""
    from lib.methods.tubes.model import TubeViT  # deferred: models import internals, not the other way round

    with torch.device("meta"):
        model = TubeViT([t.as_list() for t in tubes], list(input_shape), dim=size.dim, depth=size.depth,
                        heads=size.heads, mlp_dim=size.mlp_dim, num_classes=400)
        video = torch.empty(1, 3, *input_shape)
    return count_flops(lambda: model(video)).gflops


def compare_tokenisers(input_shape: Sequence[int], tubes: Sequence[TubeSpec], *, patch: int = 16,
                       tubelet_frames: int = 2, size: EncoderSize = EncoderSize()) -> tuple[TokeniserCost, ...]:
    """Sparse tubes vs dense (tubelet_frames x patch x patch) tubelets vs (1 x patch x patch) per-frame patches.

    Raises UserInputError when a tokeniser does not fit the shape (e.g. a clip shorter than a tube).
    """
    shape = tuple(int(v) for v in input_shape)
    rows = []
    for name, chosen in (("sparse tubes (TubeViT)", tuple(tubes)),
                         (f"dense {tubelet_frames}x{patch}x{patch} tubelets (ViViT)",
                          dense_tubelets((tubelet_frames, patch, patch))),
                         (f"per-frame 1x{patch}x{patch} patches (TimeSformer tokens)",
                          dense_tubelets((1, patch, patch)))):
        tokens = tube_layout(shape, chosen).num_tokens
        rows.append(TokeniserCost(name=name, tokens=tokens, gflops=encoder_gflops(shape, chosen, size)))
    return tuple(rows)
