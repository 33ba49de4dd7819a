"""A small ViViT-style video transformer whose training step can be made cheaper in several ways.

Tubelet embedding (one Conv3d with kernel = stride = tubelet, as ViViT's "tubelet embedding") ->
learned position embedding -> optional random token dropping (MAE-style) -> CLS token -> pre-norm
transformer blocks (optionally activation-checkpointed) -> LayerNorm -> linear head on the CLS token.

The switches are forward arguments, not model state, so one model serves every recipe:
    keep_ratio      fraction of the tubelet tokens the encoder sees (1.0 = all).
    checkpointing   recompute each block's activations during backward instead of storing them.
    fused_attention torch's scaled_dot_product_attention (a fused, IO-aware kernel that never stores the
                    N x N attention matrix) instead of softmax(q k^T) v written out in full.
The linear layers are named `qkv`, `proj`, `fc1`, `fc2`, `head`, which is what LoRA targets by name.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn
from torch.utils.checkpoint import checkpoint

from lib.models.attention import ProbedSelfAttention


@dataclass(frozen=True)
class SmallVideoTransformerConfig:
    """Architecture of the small video transformer (input (B, 3, num_frames, image_size, image_size))."""

    num_frames: int = 8
    image_size: int = 64
    tubelet: tuple[int, int, int] = (2, 8, 8)  # (t, h, w) frames and pixels per token
    dim: int = 192
    depth: int = 6
    heads: int = 3
    mlp_ratio: int = 4
    num_classes: int = 10

    def __post_init__(self) -> None:
        t, h, w = self.tubelet
        if self.num_frames % t or self.image_size % h or self.image_size % w:
            raise ValueError(f"{self.num_frames}x{self.image_size}^2 is not divisible by the tubelet {self.tubelet}")
        if self.dim % self.heads:
            raise ValueError(f"dim {self.dim} is not divisible by heads {self.heads}")

    @property
    def grid(self) -> tuple[int, int, int]:
        """Tokens along (time, height, width)."""
        t, h, w = self.tubelet
        return self.num_frames // t, self.image_size // h, self.image_size // w

    @property
    def num_tokens(self) -> int:
        """Tubelet tokens per clip (the CLS token not included)."""
        gt, gh, gw = self.grid
        return gt * gh * gw

    def kept_tokens(self, keep_ratio: float) -> int:
        """Tubelet tokens left after dropping: ceil(keep_ratio * num_tokens), at least 1."""
        return max(1, math.ceil(keep_ratio * self.num_tokens - 1e-9))


class Attention(ProbedSelfAttention):
    """Multi-head self-attention; (B, N, D) -> (B, N, D). Unfused, the N x N matrix is materialised and kept
    for backward. No probe: this model measures training cost, its attention is not recorded."""

    def __init__(self, dim: int, heads: int):
        super().__init__(dim, heads, probed=False)

    def forward(self, x: torch.Tensor, fused: bool = False) -> torch.Tensor:
        return super().forward(x, fused=fused)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm(x)), then x + mlp(norm(x)); (B, N, D) -> (B, N, D)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp_ratio * dim)
        self.fc2 = nn.Linear(mlp_ratio * dim, dim)

    def forward(self, x: torch.Tensor, fused: bool = False) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), fused)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


def drop_tokens(tokens: torch.Tensor, keep: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Keep `keep` random tokens per sample, in their original order; (B, N, D) -> (B, keep, D).

    Per-sample random subset by sorting uniform noise, as in MAE's random_masking
    (facebookresearch/mae, models_mae.py), adapted: we keep the original token order.
    """
    b, n, d = tokens.shape
    noise = torch.rand(b, n, generator=generator, device=tokens.device)
    keep_ids = noise.argsort(dim=1)[:, :keep].sort(dim=1).values  # (B, keep)
    return tokens.gather(1, keep_ids.unsqueeze(-1).expand(b, keep, d))


class SmallVideoTransformer(nn.Module):
    """ViViT-style classifier: video (B, 3, T, H, W) float in [0, 1] -> logits (B, num_classes)."""

    def __init__(self, config: SmallVideoTransformerConfig = SmallVideoTransformerConfig()):
        super().__init__()
        self.config = config
        self.patch_embed = nn.Conv3d(3, config.dim, kernel_size=config.tubelet, stride=config.tubelet)
        self.pos_embed = nn.Parameter(torch.randn(1, config.num_tokens, config.dim) * 0.02)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, config.dim))
        self.blocks = nn.ModuleList(Block(config.dim, config.heads, config.mlp_ratio) for _ in range(config.depth))
        self.norm = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.num_classes)

    def forward(self, video: torch.Tensor, *, keep_ratio: float = 1.0, checkpointing: bool = False,
                fused_attention: bool = False, generator: torch.Generator | None = None) -> torch.Tensor:
        tokens = rearrange(self.patch_embed(video * 2.0 - 1.0), "b d t h w -> b (t h w) d") + self.pos_embed
        if keep_ratio < 1.0:
            tokens = drop_tokens(tokens, self.config.kept_tokens(keep_ratio), generator)  # (B, N', D)
        x = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1)  # (B, 1 + N', D)
        for block in self.blocks:
            if checkpointing and torch.is_grad_enabled():
                x = checkpoint(block, x, fused_attention, use_reentrant=False)
            else:
                x = block(x, fused_attention)
        return self.head(self.norm(x[:, 0]))
