"""The multi-head self-attention shared by the project's own models (TubeViT, ViS4mer's twin, STPT, FrameViT,
the training-cost transformer).

Parameters are `qkv` = Linear(dim, 3 dim) and `proj` = Linear(dim, dim), so a model's state-dict keys read
`...attn.qkv.weight`, `...attn.proj.bias`. Two paths, same maths:

    eager  softmax(q k^T / sqrt(d) + bias) -> AttentionProbe -> @ v; the (B, heads, N, N) probabilities are
           materialised, so `lib.hooks.record_attention` can record them.
    fused  torch's scaled_dot_product_attention (faster, never stores the N x N matrix, records nothing).

Subclasses keep only what is specific to their model (STPT's windows, FrameViT's size bias and keys).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from lib.hooks.probe import AttentionProbe


class ProbedSelfAttention(nn.Module):
    """Multi-head self-attention (B, N, dim) -> (B, N, dim).

    probe_name / layer_index: labels of the AttentionProbe the eager path's probabilities pass through.
    probed=False builds no probe (the model's attention is then not recordable, as for the training-cost model).
    scale_logits: where the eager path applies 1/sqrt(d). False scales q (N x d multiplies, one N x N buffer
        less: what the ViS4mer twin's memory prediction assumes); True scales the N x N logits. Same maths,
        different float rounding (~1e-6 on STPT's logits), so each model keeps the order it was trained with.
    """

    def __init__(self, dim: int, heads: int, *, probe_name: str | None = None, layer_index: int | None = None,
                 probed: bool = True, scale_logits: bool = False) -> None:
        super().__init__()
        if dim % heads:
            raise ValueError(f"width {dim} is not divisible by {heads} heads")
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim)  # created before proj: keeps seeded random inits as they were
        self.proj = nn.Linear(dim, dim)
        self.probe = AttentionProbe(name=probe_name, layer_index=layer_index) if probed else None
        self.scale_logits = scale_logits

    @property
    def scale(self) -> float:
        """1 / sqrt(head width): the logits' temperature."""
        return (self.qkv.in_features // self.heads) ** -0.5

    def split_heads(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, N, dim) -> q, k, v, each (B, heads, N, dim / heads)."""
        q, k, v = rearrange(self.qkv(x), "b n (three h d) -> three b h n d", three=3, h=self.heads)
        return q, k, v

    def forward(self, x: torch.Tensor, *, fused: bool = False, bias: torch.Tensor | None = None,
                return_keys: bool = False) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """x (B, N, dim) -> (B, N, dim); with return_keys also the keys k (B, heads, N, dim / heads).

        fused: scaled_dot_product_attention instead of the eager path (nothing passes the probe).
        bias:  added to the logits before the softmax, broadcastable to (B, heads, N, N) (e.g. log token sizes).
        """
        q, k, v = self.split_heads(x)
        if fused:
            mixed = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        else:
            if self.scale_logits:
                logits = (q @ k.transpose(-2, -1)) * self.scale  # (B, heads, N, N)
            else:
                logits = (q * self.scale) @ k.transpose(-2, -1)
            if bias is not None:
                logits = logits + bias
            attn = logits.softmax(dim=-1)  # rows sum to 1
            if self.probe is not None:
                attn = self.probe(attn)
            mixed = attn @ v  # (B, heads, N, d)
        out = self.proj(rearrange(mixed, "b h n d -> b n (h d)"))
        return (out, k) if return_keys else out
