"""A no-op module that marks attention probabilities so recorders can find them by type."""
from __future__ import annotations

import torch
from torch import nn


class AttentionProbe(nn.Identity):
    """Returns its input unchanged. The project's own models pass their softmax attention through it:

        attn = self.probe(attn.softmax(dim=-1))   # (B, heads, Nq, Nk), rows sum to 1

    `record_attention` hooks every AttentionProbe, whatever its path inside the model.
    `name` (e.g. "local" / "global") and `layer_index` are optional labels for displays.
    """

    def __init__(self, name: str | None = None, layer_index: int | None = None) -> None:
        super().__init__()
        self.name = name
        self.layer_index = layer_index

    def forward(self, attention: torch.Tensor) -> torch.Tensor:  # noqa: D102 - identity
        return attention

    def extra_repr(self) -> str:
        parts = [f"name={self.name!r}"] if self.name is not None else []
        if self.layer_index is not None:
            parts.append(f"layer_index={self.layer_index}")
        return ", ".join(parts)
