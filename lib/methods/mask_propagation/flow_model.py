"""The MPVSS motion module: one flow field per mask query (segment-aware flow), plus a pixel-wise flow.

Input: the current and key frames stacked (6 channels), at half resolution (MPVSS IMG_SCALE_FACTOR 0.5).
A FlowNetS-like conv encoder; a query decoder whose queries start from the key frame's segmentor queries
(`query_out`) plus a learned embedding, and whose layers run joint self-attention over [queries ; pixels of
one level]; a coarse-to-fine refinement down to stride 8 giving the pixel flow; per-query flows from dot
products of each query with a 2 x D motion map; a 3x3 conv fusing [pixel flow ; query flow] per query.
Adapted from ziplab/MPVSS mask2former/modeling/motion/{motion_encoder,motion_decoder}.py, re-written and
shrunk (channels, 3 decoder layers over 2 levels). Deviation: the fusion conv starts as "pass the pixel
flow through" (MPVSS's code starts it at weights 0, bias 1).

Addition for disocclusion (issue 14): a warped mask cannot know what a newly visible region shows, so a light
`MaskRefiner` corrects the warped class scores from the current frame's low-level features (the encoder's
first stage, which the flow computes anyway, and the frame's colours), at the masks' stride 4. Its FLOPs
count as part of every warped frame (motion.FlowMethod.flops).

Flows are *backward* (current -> key) in pixels of their own stride-8 grid; see lib.methods.mask_propagation.warp.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lib.methods.mask_propagation.segmentor_model import sine_position
from lib.models.bundled import BundledModel

PAD = 32  # full-resolution inputs are padded to a multiple of this (stride 32 after the 0.5 resize)


@dataclass(frozen=True)
class MotionOutput:
    """pixel_flow (B, 2, h, w) and query_flow (B, Q, 2, h, w) with h, w = ceil(H/8), ceil(W/8); pixels of that grid.
    query_flow is None when no key-frame queries were given. features: (B, C, ceil(H/4), ceil(W/4)) the
    encoder's first stage over [current ; key], the refiner's low-level input."""

    pixel_flow: torch.Tensor
    query_flow: torch.Tensor | None
    features: torch.Tensor | None = None


def conv(c_in: int, c_out: int, kernel: int = 3, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2), nn.LeakyReLU(0.1))


class JointLayer(nn.Module):
    """Self-attention over [queries ; pixels of one level] (both are updated), then an FFN."""

    def __init__(self, dim: int, heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, tokens: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        tokens = self.norm1(tokens + self.attn(tokens + pos, tokens + pos, tokens, need_weights=False)[0])
        return self.norm2(tokens + self.ffn(tokens))


class MaskRefiner(nn.Module):
    """Correct warped class scores where warping is wrong (newly visible background, entering objects).

    forward(log_scores (B, K, h, w), features (B, C, h', w'), current (B, 3, H, W) in [0, 1]) -> (B, K, h, w)
    class logits = log_scores + a correction from 1x1 and depthwise 3x3 convs (about 3 MFLOPs at 32 x 32).
    The last conv starts at zero: untrained, the refiner returns the warped scores unchanged.
    """

    def __init__(self, num_classes: int, feature_channels: int, hidden: int = 32) -> None:
        super().__init__()
        self.inp = nn.Conv2d(num_classes + feature_channels + 3, hidden, 1)
        self.local = nn.Conv2d(hidden, hidden, 3, 1, 1, groups=hidden)
        self.wide = nn.Conv2d(hidden, hidden, 3, 1, 2, dilation=2, groups=hidden)  # sees the neighbouring segment
        self.mix = nn.Conv2d(hidden, hidden, 1)
        self.out = nn.Conv2d(hidden, num_classes, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, log_scores: torch.Tensor, features: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        size = log_scores.shape[-2:]
        if features.shape[-2:] != size:  # another segmentor grid than the flow's stride 4
            features = F.interpolate(features, size=size, mode="bilinear", align_corners=False)
        colours = F.adaptive_avg_pool2d(current, size)  # (B, 3, h, w) the frame's own colours
        x = F.gelu(self.inp(torch.cat([log_scores, features, colours], 1)))
        x = x + F.gelu(self.local(x))
        x = x + F.gelu(self.mix(F.gelu(self.wide(x))))
        return log_scores + self.out(x)


class MPVSSFlow(BundledModel):
    """forward(current, key (B, 3, H, W) in [0, 1], key_queries (B, Q, query_dim) or None) -> MotionOutput."""

    def __init__(self, query_dim: int = 64, num_queries: int = 10, dim: int = 48, widths: list[int] = (16, 32, 48, 64),
                 num_layers: int = 3, num_heads: int = 4, scale: float = 0.5, num_classes: int = 0,
                 up_width: int | None = None, refine_hidden: int = 32) -> None:
        """num_classes > 0 adds a MaskRefiner for segmentors with that many classes; up_width: channels of
        the 1/16 -> 1/8 upsampling (default widths[1])."""
        super().__init__()
        w0, w1, w2, w3 = widths
        up = up_width or w1
        self.dim, self.num_queries, self.scale, self.num_classes = dim, num_queries, scale, num_classes
        self.enc1 = conv(6, w0, 3, 2)                                     # 1/4 of the full frame
        self.enc2 = conv(w0, w1, 3, 2)                                     # 1/8
        self.enc3 = nn.Sequential(conv(w1, w2, 3, 2), conv(w2, w2))        # 1/16
        self.enc4 = conv(w2, w3, 3, 2)                                     # 1/32
        self.proj = nn.ModuleList([nn.Conv2d(w3, dim, 1), nn.Conv2d(w2, dim, 1)])  # levels [1/32, 1/16]
        self.level_embed = nn.Parameter(torch.zeros(2, dim))
        self.query_in = nn.Linear(query_dim, dim)
        self.query_embed = nn.Parameter(torch.randn(num_queries, dim) * 0.02)
        self.query_pos = nn.Parameter(torch.randn(num_queries, dim) * 0.02)
        self.layers = nn.ModuleList([JointLayer(dim, num_heads) for _ in range(num_layers)])
        self.flow32 = nn.Conv2d(dim, 2, 3, 1, 1)
        self.up32 = nn.Sequential(nn.ConvTranspose2d(dim, w1, 4, 2, 1), nn.LeakyReLU(0.1))
        self.refine16 = conv(dim + w1 + 2, dim)
        self.flow16 = nn.Conv2d(dim, 2, 3, 1, 1)
        self.up16 = nn.Sequential(nn.ConvTranspose2d(dim, up, 4, 2, 1), nn.LeakyReLU(0.1))
        self.refine8 = conv(w1 + up + 2, w1)
        self.flow8 = nn.Conv2d(w1, 2, 3, 1, 1)
        self.motion_map = nn.Conv2d(w1, 2 * dim, 1)  # MPVSS's scale_layer, a single layer here
        self.query_mlp = nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, 2 * dim), nn.GELU(), nn.Linear(2 * dim, dim))
        self.fuse = nn.Conv2d(4, 2, 3, 1, 1)
        with torch.no_grad():  # start as the identity on the pixel flow (channels 0, 1)
            self.fuse.weight.zero_()
            self.fuse.bias.zero_()
            self.fuse.weight[0, 0, 1, 1] = 1.0
            self.fuse.weight[1, 1, 1, 1] = 1.0
        self.refiner = MaskRefiner(num_classes, w0, refine_hidden) if num_classes > 0 else None

    def _decode(self, levels: list[torch.Tensor], queries: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Round-robin joint attention over [Q ; pixels of level i]; returns refined levels and queries."""
        b, q = queries.shape[:2]
        maps = [p(f) for p, f in zip(self.proj, levels)]
        for i, layer in enumerate(self.layers):
            lvl = i % len(maps)
            h, w = maps[lvl].shape[-2:]
            pix = maps[lvl].flatten(2).transpose(1, 2) + self.level_embed[lvl]  # (B, h*w, D)
            pos = torch.cat([self.query_pos[None, :q].expand(b, -1, -1),
                             sine_position(h, w, self.dim, pix.device)[None].expand(b, -1, -1)], 1)
            tokens = layer(torch.cat([queries, pix], 1), pos)
            queries, pix = tokens[:, :q], tokens[:, q:]
            maps[lvl] = pix.transpose(1, 2).reshape(b, self.dim, h, w)
        return maps, queries

    def forward(self, current: torch.Tensor, key: torch.Tensor,
                key_queries: torch.Tensor | None = None) -> MotionOutput:
        b, _, height, width = current.shape
        hp, wp = math.ceil(height / PAD) * PAD, math.ceil(width / PAD) * PAD
        x = (torch.cat([current, key], 1) - 0.5) / 0.25
        if (hp, wp) != (height, width):
            x = F.pad(x, (0, wp - width, 0, hp - height), mode="replicate")
        x = F.interpolate(x, scale_factor=self.scale, mode="bilinear", align_corners=False)
        e1 = self.enc1(x)  # (B, w0, Hp/4, Wp/4)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        e4 = self.enc4(e3)
        if key_queries is None:
            queries = self.query_embed[None].expand(b, -1, -1)
        else:
            queries = self.query_in(key_queries) + self.query_embed[None, : key_queries.shape[1]]
        (m32, m16), queries = self._decode([e4, e3], queries)
        f32 = self.flow32(m32)
        f16 = self.flow16(self.refine16(torch.cat([m16, self.up32(m32), 2 * F.interpolate(f32, scale_factor=2,
                                                                                        mode="bilinear")], 1)))
        up16 = 2 * F.interpolate(f16, scale_factor=2, mode="bilinear")
        feat8 = self.refine8(torch.cat([e2, self.up16(m16), up16], 1))
        pixel = self.flow8(feat8) + 2 * F.interpolate(f16, scale_factor=2, mode="bilinear")  # (B, 2, h, w)
        h8, w8 = math.ceil(height / 8), math.ceil(width / 8)
        pixel = pixel[..., :h8, :w8]
        features = e1[..., : math.ceil(height / 4), : math.ceil(width / 4)]
        if key_queries is None:
            return MotionOutput(pixel, None, features)
        motion = self.motion_map(feat8)[..., :h8, :w8]  # (B, 2D, h, w)
        mx, my = motion.split(self.dim, dim=1)
        qf = self.query_mlp(queries) / math.sqrt(self.dim)  # (B, Q, D)
        query_flow = torch.stack([torch.einsum("bqd,bdhw->bqhw", qf, mx),
                                  torch.einsum("bqd,bdhw->bqhw", qf, my)], 2)  # (B, Q, 2, h, w)
        nq = query_flow.shape[1]
        stacked = torch.cat([pixel[:, None].expand(-1, nq, -1, -1, -1), query_flow], 2)  # (B, Q, 4, h, w)
        fused = self.fuse(stacked.flatten(0, 1)).view(b, nq, 2, h8, w8)
        return MotionOutput(pixel, fused, features)

    def refine(self, scores: torch.Tensor, features: torch.Tensor, current: torch.Tensor) -> torch.Tensor:
        """Warped class scores (B, K, h, w) >= 0 (Segmentation.scores of the warped masks) -> refined class
        logits (B, K, h, w); features from MotionOutput, current (B, 3, H, W). Without a refiner: log scores."""
        log_scores = (scores / scores.sum(1, keepdim=True).clamp_min(1e-6)).clamp_min(1e-6).log()
        return log_scores if self.refiner is None else self.refiner(log_scores, features, current)
