"""A small ViT frame encoder with ToMe built in (merging between attention and MLP, proportional attention).

Trained by scripts/train_frame_vit.py on toy-world frames with three heads: per-patch semantic class,
the main actor's class from CLS, and each patch's colours on a 2x2 sub-grid (so patch features keep
the appearance that groups real images too, not only toy shapes).

ToMe inside the encoder follows Bolya et al., "Token Merging: Your ViT but Faster" (ICLR 2023), as in
facebookresearch/ToMe `tome/patch/timm.py` (ToMeBlock / ToMeAttention, read not copied): in every block,
after the attention residual and before the MLP, r tokens are merged by bipartite soft matching on the
keys averaged over heads; CLS is protected; attention adds log(size) to the logits so a merged token
counts as the tokens it holds.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from lib.methods.token_merging.merging import bipartite_soft_matching, merge_wavg, trace_sources
from lib.models.attention import ProbedSelfAttention
from lib.models.bundled import BundledModel


@dataclass(frozen=True)
class FrameViTOutput:
    """What one forward pass returns.

    tokens:      (B, 1 + N, D) final tokens after the last norm (CLS first); N = P without merging.
    sizes:       (B, 1 + N) patches each token stands for (CLS: 1).
    assignment:  (B, P) index into tokens[:, 1:] of the token each original patch ended in.
    hidden:      tuple of depth + 1 tensors (B, 1 + N_l, D): embeddings, then every block's output
                 (only when asked for; token counts shrink when merging).
    last_keys:   (B, 1 + N, D / heads * heads) keys of the last block's attention, heads concatenated
                 (only when asked for).
    """

    tokens: torch.Tensor
    sizes: torch.Tensor
    assignment: torch.Tensor
    hidden: tuple[torch.Tensor, ...] = ()
    last_keys: torch.Tensor | None = None


class Attention(ProbedSelfAttention):
    """Self-attention with ToMe's proportional attention; also hands out its keys (the merging metric)."""

    def __init__(self, dim: int, heads: int, layer_index: int) -> None:
        super().__init__(dim, heads, layer_index=layer_index, scale_logits=True)

    def keys(self, x: torch.Tensor) -> torch.Tensor:
        """(B, N, D) normed input -> (B, heads, N, D / heads) keys."""
        b, n, d = x.shape
        k = F.linear(x, self.qkv.weight[d : 2 * d], self.qkv.bias[d : 2 * d])
        return k.reshape(b, n, self.heads, d // self.heads).transpose(1, 2)

    def forward(self, x: torch.Tensor, size: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, N, D), size (B, N, 1) or None -> output (B, N, D) and keys (B, heads, N, D / heads)."""
        # proportional attention: a token of size s counts s times (log s added to its column of logits)
        bias = None if size is None else size.log()[:, None, None, :, 0]  # (B, 1, 1, N)
        return super().forward(x, bias=bias, return_keys=True)


class Block(nn.Module):
    """A pre-norm transformer block with ToMe's merge between the attention and the MLP."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float, layer_index: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, layer_index)
        self.norm2 = nn.LayerNorm(dim)
        hidden = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor, size: torch.Tensor | None, r: int, assignment: torch.Tensor | None,
                trace: bool = True):
        """One block; merges r tokens (CLS protected) between attention and MLP when r > 0."""
        out, k = self.attn(self.norm1(x), size)
        x = x + out
        if r > 0:
            m = bipartite_soft_matching(k.mean(dim=1), r, protected=1)  # metric: keys averaged over heads
            x, size = merge_wavg(m, x, size)
            if trace:
                assignment = trace_sources(m, assignment)
        x = x + self.mlp(self.norm2(x))
        return x, size, assignment


class FrameViT(BundledModel):
    """ViT for single frames: (B, 3, S, S) normalised RGB -> patch tokens, CLS and three heads.

    image_size / patch_size give a grid of (S/p)^2 patches (96 / 8 -> 12 x 12 = 144; CLIP-B/16 at 224 has 196).
    """

    def __init__(self, image_size: int = 96, patch_size: int = 8, dim: int = 64, depth: int = 6, heads: int = 4,
                 mlp_ratio: float = 3.0, num_classes: int = 7, colour_cells: int = 2) -> None:
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f"image_size {image_size} must be a multiple of patch_size {patch_size}")
        self.image_size, self.patch_size, self.dim, self.depth = image_size, patch_size, dim, depth
        self.grid = image_size // patch_size
        self.num_patches = self.grid**2
        self.colour_cells = colour_cells
        self.patch_embed = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.randn(1, 1 + self.num_patches, dim) * 0.02)
        self.blocks = nn.ModuleList(Block(dim, heads, mlp_ratio, i) for i in range(depth))
        self.norm = nn.LayerNorm(dim)
        self.seg_head = nn.Linear(dim, num_classes)
        self.cls_head = nn.Linear(dim, num_classes)
        self.colour_head = nn.Linear(dim, 3 * colour_cells**2)

    def _schedule(self, r: int | list[int]) -> list[int]:
        if isinstance(r, int):
            return [r] * self.depth
        return list(r) + [0] * (self.depth - len(r))

    def encode(self, pixels: torch.Tensor, *, r: int | list[int] = 0, output_hidden: bool = False,
               output_keys: bool = False, trace_source: bool = True) -> FrameViTOutput:
        """(B, 3, S, S) -> FrameViTOutput. r: tokens merged per block (int) or per-block list (ToMe).

        trace_source=False skips source tracing (as ToMe's throughput benchmark does); the returned
        assignment is then only valid without merging."""
        b = pixels.shape[0]
        x = self.patch_embed(pixels).flatten(2).transpose(1, 2)  # (B, P, D)
        x = torch.cat([self.cls_token.expand(b, -1, -1), x], dim=1) + self.pos_embed  # (B, 1 + P, D)
        size, assignment = None, None
        hidden = [x] if output_hidden else []
        keys = None
        schedule = self._schedule(r)
        for index, block in enumerate(self.blocks):
            if output_keys and index == self.depth - 1:
                k = block.attn.keys(block.norm1(x))  # (B, heads, N, Dh)
                keys = k.transpose(1, 2).reshape(b, k.shape[2], -1)
            x, size, assignment = block(x, size, schedule[index], assignment, trace_source)
            if output_hidden:
                hidden.append(x)
        if size is None:
            size = torch.ones(b, x.shape[1], 1, device=x.device)
        if assignment is None:
            assignment = torch.arange(x.shape[1], device=x.device).expand(b, -1)
        patch_assignment = assignment[:, 1:] - 1  # CLS stays at 0; patches map into tokens[:, 1:]
        return FrameViTOutput(self.norm(x), size[..., 0], patch_assignment, tuple(hidden), keys)

    def forward(self, pixels: torch.Tensor, *, r: int | list[int] = 0) -> dict[str, torch.Tensor]:
        """Heads for training and evaluation, per original patch (merged tokens are unmerged).

        Returns class_logits (B, classes), seg_logits (B, P, classes), colours (B, P, 3 * cells^2).
        """
        out = self.encode(pixels, r=r)
        patches = out.tokens[:, 1:]
        index = out.assignment[..., None].expand(-1, -1, patches.shape[-1])
        per_patch = patches.gather(1, index)  # unmerge: (B, P, D)
        return {"class_logits": self.cls_head(out.tokens[:, 0]), "seg_logits": self.seg_head(per_patch),
                "colours": self.colour_head(per_patch)}
