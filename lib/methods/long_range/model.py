"""ViS4mer's multi-scale decoder over a long token sequence, and its twin with self-attention in place of S4.

Layout follows md-mohaiminul/ViS4mer models.py (ViS4mer class), re-written: an optional Linear
encoder d_input -> d_model, then per layer (B, L, d) ->
    x = x + Dropout(Mixer(LayerNorm(x)))        # Mixer: S4D layer (causal) or softmax self-attention
    x = AvgPool1d(2) over the sequence          # (B, L/2, d)
    x = GELU(Linear(d -> d/2)(x))               # (B, L/2, d/2)
then mean over the sequence and a Linear classifier. LVU: (11820, 1024) -> (5910, 512) -> (2955, 256)
-> (1477, 128) -> logits.

The attention twin differs only in the mixer. Because attention alone cannot tell positions apart,
it adds fixed sin-cos position codes to its input (the S4 decoder needs none: its kernels are ordered).
Its softmax goes through an AttentionProbe so `lib.hooks.record_attention` can record the rows.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from lib.methods.long_range.s4_layer import S4DLayer
from lib.models.attention import ProbedSelfAttention
from lib.models.bundled import BundledModel

MIXERS = ("s4", "attention")


class SelfAttention(ProbedSelfAttention):
    """Plain multi-head softmax self-attention (B, L, d) -> (B, L, d); materialises the (L, L) matrix,
    as the paper's attention baseline does, so its memory grows as heads * L^2 (always the eager path)."""

    def __init__(self, dim: int, heads: int, *, layer_index: int | None = None) -> None:
        super().__init__(dim, heads, probe_name="attention", layer_index=layer_index)


class S4Mixer(nn.Module):
    """S4DLayer in the decoder's (B, L, d) layout."""

    def __init__(self, dim: int, state_size: int, dropout: float) -> None:
        super().__init__()
        self.s4 = S4DLayer(dim, state_size, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.s4(x.transpose(1, 2)).transpose(1, 2)


class DecoderLayer(nn.Module):
    """Pre-norm mixer + residual, then pool the sequence by 2 and halve the channels: (B, L, d) -> (B, L//2, d//2)."""

    def __init__(self, dim: int, mixer: str, *, state_size: int, heads: int, dropout: float, index: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.mixer = S4Mixer(dim, state_size, dropout) if mixer == "s4" else SelfAttention(dim, heads,
                                                                                             layer_index=index)
        self.dropout = nn.Dropout(dropout)
        self.pool = nn.AvgPool1d(2)
        self.down = nn.Linear(dim, dim // 2)
        self.activation = nn.GELU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.mixer(self.norm(x)))
        x = self.pool(x.transpose(1, 2)).transpose(1, 2)  # (B, L//2, d)
        return self.activation(self.down(x))  # (B, L//2, d//2)


def sincos_positions(length: int, dim: int, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """(L, dim) fixed sin-cos position codes (Vaswani et al.), any length."""
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    codes = torch.zeros(length, dim, device=device)
    codes[:, 0::2] = torch.sin(position * freq)
    codes[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return codes.to(dtype)


class ViS4merDecoder(BundledModel):
    """Multi-scale decoder: tokens (B, L, d_input) float -> logits (B, num_classes).

    mixer: "s4" (ViS4mer) or "attention" (the twin). d_model must be divisible by 2**num_layers.
    state_size: N of each S4D layer. heads: attention heads (attention mixer only).
    """

    def __init__(self, d_input: int = 32, d_model: int = 64, num_classes: int = 4, num_layers: int = 3,
                 mixer: str = "s4", state_size: int = 16, heads: int = 1, dropout: float = 0.1) -> None:
        super().__init__()
        if mixer not in MIXERS:
            raise ValueError(f"mixer must be one of {MIXERS}, got {mixer!r}")
        if d_model % (2 ** num_layers):
            raise ValueError(f"d_model {d_model} must be divisible by 2**num_layers = {2 ** num_layers}")
        self.mixer_kind = mixer
        self.num_layers = num_layers
        self.encoder = nn.Linear(d_input, d_model) if d_input != d_model else nn.Identity()
        self.layers = nn.ModuleList(
            DecoderLayer(d_model // 2 ** i, mixer, state_size=state_size, heads=heads, dropout=dropout, index=i)
            for i in range(num_layers)
        )
        self.head = nn.Linear(d_model // 2 ** num_layers, num_classes)

    @property
    def widths(self) -> list[int]:
        """Channels entering each layer, then the head's input width."""
        first = self.layers[0].norm.normalized_shape[0]
        return [first // 2 ** i for i in range(self.num_layers + 1)]

    def stage_shapes(self, length: int) -> list[tuple[int, int]]:
        """(sequence length, channels) after the encoder and after each layer, for an input of `length` tokens."""
        return [(length // 2 ** i, width) for i, width in enumerate(self.widths)]

    def min_length(self) -> int:
        """Shortest input that survives every pooling step (at least one token at the end)."""
        return 2 ** self.num_layers

    def features(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """Hidden sequences [(B, L, d_model), (B, L/2, d_model/2), ...]: the input to each layer and the last output."""
        if tokens.shape[1] < self.min_length():
            raise ValueError(f"need at least {self.min_length()} tokens, got {tokens.shape[1]}")
        x = self.encoder(tokens)
        if self.mixer_kind == "attention":
            x = x + sincos_positions(x.shape[1], x.shape[2], device=x.device, dtype=x.dtype)
        stages = [x]
        for layer in self.layers:
            x = layer(x)
            stages.append(x)
        return stages

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(tokens)[-1].mean(dim=1))

    def contributions(self, tokens: torch.Tensor, class_index: torch.Tensor | int) -> torch.Tensor:
        """(B, L_final) share of the class logit (minus bias) coming from each final position.

        The head is linear after a mean, so logit_c - b_c = sum_j w_c . h_j / L_final exactly; position j
        summarises input tokens [j * 2**num_layers, (j + 1) * 2**num_layers) (plus what its mixers saw).
        """
        last = self.features(tokens)[-1]  # (B, L_final, d_last)
        weight = self.head.weight[class_index]  # (d_last,) or (B, d_last)
        if weight.dim() == 1:
            weight = weight.expand(last.shape[0], -1)
        return torch.einsum("bld,bd->bl", last, weight) / last.shape[1]
