"""A small Mask2Former-style query segmentor (the key-frame model of the mask-propagation tab).

Learned queries attend to multi-scale pixel features; each query predicts class logits (K + 1, the last
is "no object") and a mask (dot product of its mask embedding with stride-4 pixel features). The semantic
map is sum_q softmax(class_q)[:K] * sigmoid(mask_q), as in Mask2Former. Simplifications, to stay tiny:
a plain conv backbone, an FPN pixel decoder instead of MSDeformAttn, cross-attention without masking.
Architecture adapted from facebookresearch/Mask2Former (mask2former_transformer_decoder.py), re-written.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lib.models.bundled import BundledModel

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
STRIDE = 16  # inputs are padded to a multiple of this


@dataclass(frozen=True)
class SegmentorOutput:
    """class_logits (B, Q, K+1); mask_logits (B, Q, H/4, W/4) for the unpadded input; queries (B, Q, D):
    the final normalised query embeddings (MPVSS's `query_out`); aux: (class, mask) logits of earlier layers."""

    class_logits: torch.Tensor
    mask_logits: torch.Tensor
    queries: torch.Tensor
    aux: tuple[tuple[torch.Tensor, torch.Tensor], ...] = ()


def sine_position(height: int, width: int, dim: int, device: torch.device) -> torch.Tensor:
    """(H*W, dim) 2-D sine/cosine position encoding (half the channels for y, half for x)."""
    quarter = dim // 4
    freq = 1.0 / (10000 ** (torch.arange(quarter, device=device, dtype=torch.float32) / quarter))
    ys = torch.arange(height, device=device, dtype=torch.float32)[:, None] * freq  # (H, dim/4)
    xs = torch.arange(width, device=device, dtype=torch.float32)[:, None] * freq  # (W, dim/4)
    py = torch.cat([ys.sin(), ys.cos()], -1)[:, None, :].expand(height, width, -1)
    px = torch.cat([xs.sin(), xs.cos()], -1)[None, :, :].expand(height, width, -1)
    return torch.cat([py, px], -1).reshape(height * width, -1)


def conv_block(c_in: int, c_out: int, stride: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.GroupNorm(8, c_out), nn.GELU(),
                         nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False), nn.GroupNorm(8, c_out), nn.GELU())


class DecoderLayer(nn.Module):
    """Cross-attention (queries -> pixels), self-attention among queries, FFN; post-norm like Mask2Former."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.cross = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.self_attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.norms = nn.ModuleList([nn.LayerNorm(dim) for _ in range(3)])

    def forward(self, q: torch.Tensor, q_pos: torch.Tensor, mem: torch.Tensor, mem_pos: torch.Tensor) -> torch.Tensor:
        q = self.norms[0](q + self.cross(q + q_pos, mem + mem_pos, mem, need_weights=False)[0])
        q = self.norms[1](q + self.self_attn(q + q_pos, q + q_pos, q, need_weights=False)[0])
        return self.norms[2](q + self.ffn(q))


class QuerySegmentor(BundledModel):
    """Tiny Mask2Former-style semantic segmentor. forward(images (B, 3, H, W) in [0, 1]) -> SegmentorOutput."""

    def __init__(self, num_classes: int = 7, num_queries: int = 10, dim: int = 64, widths: list[int] = (32, 64, 128),
                 num_layers: int = 4, num_heads: int = 4, class_names: list[str] | None = None) -> None:
        super().__init__()
        self.num_classes, self.num_queries, self.dim = num_classes, num_queries, dim
        self.class_names = list(class_names) if class_names else [str(i) for i in range(num_classes)]
        w0, w1, w2 = widths
        self.register_buffer("mean", torch.tensor(MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(STD).view(1, 3, 1, 1), persistent=False)
        self.stem = conv_block(3, w0 // 2, 2)        # 1/2
        self.stage4 = conv_block(w0 // 2, w0, 2)     # 1/4
        self.stage8 = conv_block(w0, w1, 2)          # 1/8
        self.stage16 = conv_block(w1, w2, 2)         # 1/16
        self.lateral = nn.ModuleList([nn.Conv2d(c, dim, 1) for c in (w0, w1, w2)])
        self.smooth = nn.ModuleList([nn.Sequential(nn.Conv2d(dim, dim, 3, 1, 1), nn.GroupNorm(8, dim), nn.GELU())
                                     for _ in range(2)])
        self.mask_features = nn.Conv2d(dim, dim, 1)
        self.level_embed = nn.Parameter(torch.zeros(2, dim))
        self.query_feat = nn.Parameter(torch.randn(num_queries, dim) * 0.02)
        self.query_pos = nn.Parameter(torch.randn(num_queries, dim) * 0.02)
        self.layers = nn.ModuleList([DecoderLayer(dim, num_heads) for _ in range(num_layers)])
        self.out_norm = nn.LayerNorm(dim)
        self.class_embed = nn.Linear(dim, num_classes + 1)
        self.mask_embed = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim), nn.GELU(),
                                        nn.Linear(dim, dim))

    def pixel_features(self, images: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """images (B, 3, Hp, Wp) padded -> mask features (B, D, Hp/4, Wp/4), [1/16, 1/8] maps (B, D, h, w)."""
        x = (images - self.mean) / self.std
        c4 = self.stage4(self.stem(x))
        c8 = self.stage8(c4)
        c16 = self.stage16(c8)
        p16 = self.lateral[2](c16)
        p8 = self.smooth[0](self.lateral[1](c8) + F.interpolate(p16, size=c8.shape[-2:], mode="nearest"))
        p4 = self.smooth[1](self.lateral[0](c4) + F.interpolate(p8, size=c4.shape[-2:], mode="nearest"))
        return self.mask_features(p4), [p16, p8]

    def predict(self, q: torch.Tensor, mask_features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        q = self.out_norm(q)
        masks = torch.einsum("bqd,bdhw->bqhw", self.mask_embed(q), mask_features)
        return self.class_embed(q), masks, q

    def forward(self, images: torch.Tensor) -> SegmentorOutput:
        b, _, h, w = images.shape
        hp, wp = math.ceil(h / STRIDE) * STRIDE, math.ceil(w / STRIDE) * STRIDE
        padded = F.pad(images, (0, wp - w, 0, hp - h), mode="replicate") if (hp, wp) != (h, w) else images
        mask_features, levels = self.pixel_features(padded)
        memories = []
        for i, feat in enumerate(levels):
            fh, fw = feat.shape[-2:]
            mem = feat.flatten(2).transpose(1, 2) + self.level_embed[i]  # (B, h*w, D)
            memories.append((mem, sine_position(fh, fw, self.dim, feat.device)[None]))
        q = self.query_feat[None].expand(b, -1, -1)
        q_pos = self.query_pos[None].expand(b, -1, -1)
        aux = []
        for i, layer in enumerate(self.layers):
            mem, pos = memories[i % len(memories)]  # round-robin over scales, coarse first
            q = layer(q, q_pos, mem, pos)
            if i < len(self.layers) - 1:
                cls, masks, _ = self.predict(q, mask_features)
                aux.append((cls, masks[..., : math.ceil(h / 4), : math.ceil(w / 4)]))
        cls, masks, q_out = self.predict(q, mask_features)
        return SegmentorOutput(cls, masks[..., : math.ceil(h / 4), : math.ceil(w / 4)], q_out, tuple(aux))


def semantic_probs(class_logits: torch.Tensor, mask_logits: torch.Tensor,
                   size: tuple[int, int] | None = None) -> torch.Tensor:
    """Mask2Former semantic inference: (B, Q, K+1), (B, Q, h, w) -> (B, K, H, W) class scores >= 0.

    Scores = sum over queries of softmax(class)[:K] * sigmoid(mask); masks are upsampled to `size` first.
    """
    if size is not None and tuple(mask_logits.shape[-2:]) != tuple(size):
        mask_logits = F.interpolate(mask_logits, size=size, mode="bilinear", align_corners=False)
    probs = class_logits.softmax(-1)[..., :-1]
    return torch.einsum("bqc,bqhw->bchw", probs, mask_logits.sigmoid())
