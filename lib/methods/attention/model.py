"""STPT-style tiny action detector: a spatio-temporal pyramid transformer with local attention early.

After STPT (Weng et al., "An Efficient Spatio-Temporal Pyramid Transformer for Action Detection", ECCV 2022;
no public code exists, so this is a small re-implementation from the paper): the video
is cut into tubelets, then stages of transformer blocks run on a pyramid of token grids that halves
its height and width at every stage (patch merging). The first `local_stages` stages attend only
inside 3-D local windows (cheap: cost linear in the number of tokens), the later stages globally.
The last stage's per-time-step features feed a temporal feature pyramid and an anchor-free head
(class scores + distances to the action's start and end at every time step of every level).
`local_stages=0` gives the all-global twin with the same weights layout, for comparison.

Input  pixel_values (B, T, 3, S, S), normalised (lib.models.video_to_tensor, ImageNet mean/std).
Output STPTOutput: logits (B, L, C), distances (B, L, 2) >= 0 in stage-1 time steps, centres (L,)
in stage-1 time steps, with L = sum over levels of T' / 2^level and T' = T / tubelet_t.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from lib.hooks import TokenGrid
from lib.methods.attention.windows import window_partition, window_reverse
from lib.models.attention import ProbedSelfAttention
from lib.models.bundled import BundledModel


@dataclass(frozen=True)
class LayerGeometry:
    """Where one attention layer works: its kind ("local"/"global"), token grid and window (local only)."""

    kind: str
    grid: TokenGrid
    window: tuple[int, int, int] | None
    stage: int


@dataclass
class STPTOutput:
    logits: torch.Tensor     # (B, L, C) class logits at every time position of every pyramid level
    distances: torch.Tensor  # (B, L, 2) distances to start and end, in stage-1 time steps, >= 0
    centres: torch.Tensor    # (L,) centre of each position, in stage-1 time steps
    levels: torch.Tensor     # (L,) pyramid level of each position
    step_logits: torch.Tensor | None = None  # (B, T', C + 1) per-step action (last = background) logits


class SpaceTimeAttention(ProbedSelfAttention):
    """Multi-head self-attention over a (T, H, W) grid, inside 3-D windows or over all tokens."""

    def __init__(self, dim: int, heads: int, window: tuple[int, int, int] | None, layer_index: int) -> None:
        super().__init__(dim, heads, probe_name="local" if window else "global", layer_index=layer_index,
                         scale_logits=True)
        self.window = window

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, H, W, C)
        b, t, h, w, c = x.shape
        tokens = window_partition(x, self.window) if self.window else x.reshape(b, t * h * w, c)  # (B', n, C)
        # fused kernel in training: same maths, ~4x faster to train on CPU, but yields no probabilities
        out = super().forward(tokens, fused=self.training)  # (B', n, C); eager probe rows (B', heads, n, n)
        if self.window:
            return window_reverse(out, self.window, (t, h, w))
        return out.view(b, t, h, w, c)


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, window: tuple[int, int, int] | None, layer_index: int,
                 mlp_ratio: int) -> None:
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn = SpaceTimeAttention(dim, heads, window, layer_index)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchMerge(nn.Module):
    """Halve height and width: concatenate each 2x2 group of tokens and project (Swin-style merging)."""

    def __init__(self, dim: int, out_dim: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(4 * dim)
        self.reduce = nn.Linear(4 * dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, H, W, C) -> (B, T, H/2, W/2, C')
        x = rearrange(x, "b t (h i) (w j) c -> b t h w (i j c)", i=2, j=2)
        return self.reduce(self.norm(x))


class STPT(BundledModel):
    """Tiny spatio-temporal pyramid transformer for temporal action detection (see module docstring)."""

    def __init__(self, num_frames: int = 64, image_size: int = 64, tubelet: list[int] = (2, 8, 8),
                 dims: list[int] = (32, 64, 96, 128), depths: list[int] = (1, 2, 2, 1),
                 heads: list[int] = (2, 2, 4, 4), windows: list[list[int]] = ((4, 4, 4), (8, 4, 4)),
                 local_stages: int = 2, num_classes: int = 9, pyramid_levels: int = 3, mlp_ratio: int = 2,
                 frame_stride: int = 4, motion_channels: bool = False) -> None:
        super().__init__()
        self.num_frames, self.image_size, self.num_classes = num_frames, image_size, num_classes
        self.tubelet = tuple(int(v) for v in tubelet)
        self.frame_stride = frame_stride  # source frames between two input frames (for decoding times)
        self.local_stages = local_stages
        t, h, w = num_frames // self.tubelet[0], image_size // self.tubelet[1], image_size // self.tubelet[2]
        if len(dims) != len(depths) or len(dims) != len(heads) or h != w or h % 2 ** (len(dims) - 1):
            raise ValueError("dims, depths and heads need one entry per stage; the grid must halve cleanly")
        # motion_channels: the tubelet embedding also sees each frame minus the previous one (a cheap motion cue
        # for tiny models trained briefly; STPT itself reads RGB only).
        self.motion_channels = motion_channels
        self.embed = nn.Conv3d(6 if motion_channels else 3, dims[0], kernel_size=self.tubelet, stride=self.tubelet)
        self.pos = nn.Parameter(torch.zeros(1, t, h, w, dims[0]))
        nn.init.trunc_normal_(self.pos, std=0.02)
        self.geometry: list[LayerGeometry] = []
        self.stages, self.merges = nn.ModuleList(), nn.ModuleList()
        for s, (dim, depth, n_heads) in enumerate(zip(dims, depths, heads)):
            scale = 2 ** s
            grid = TokenGrid(t, h // scale, w // scale, tubelet=(self.tubelet[0], self.tubelet[1] * scale,
                                                                  self.tubelet[2] * scale))
            window = tuple(int(v) for v in windows[s]) if s < local_stages else None
            blocks = []
            for _ in range(depth):
                self.geometry.append(LayerGeometry("local" if window else "global", grid, window, s))
                blocks.append(Block(dim, n_heads, window, len(self.geometry) - 1, mlp_ratio))
            self.stages.append(nn.Sequential(*blocks))
            if s + 1 < len(dims):
                self.merges.append(PatchMerge(dim, dims[s + 1]))
        top = dims[-1]
        self.norm = nn.LayerNorm(top)
        self.downsample = nn.ModuleList(nn.Conv1d(top, top, 3, stride=2, padding=1) for _ in range(pyramid_levels - 1))
        self.tower = nn.Sequential(nn.Conv1d(top, top, 3, padding=1), nn.GELU())
        self.classify = nn.Conv1d(top, num_classes, 3, padding=1)
        self.regress = nn.Conv1d(top, 2, 3, padding=1)
        nn.init.constant_(self.classify.bias, -4.0)  # start from "no action" (focal-loss prior 0.02)
        # Training aid: action-or-background label of every stage-1 time step (dense signal; unused at inference).
        self.step_classifier = nn.Linear(top, num_classes + 1)
        self.time_steps = t

    def features(self, pixel_values: torch.Tensor) -> torch.Tensor:
        """(B, T, 3, S, S) -> (B, C_top, T') per-time-step features of the last stage."""
        video = pixel_values.transpose(1, 2)                           # (B, 3, T, S, S)
        if self.motion_channels:
            change = torch.diff(video, dim=2, prepend=video[:, :, :1])  # (B, 3, T, S, S), 0 at the first frame
            video = torch.cat([video, change], dim=1)
        x = self.embed(video)                                          # (B, C, T', H', W')
        x = rearrange(x, "b c t h w -> b t h w c") + self.pos
        for s, stage in enumerate(self.stages):
            x = stage(x)
            if s < len(self.merges):
                x = self.merges[s](x)                                  # (B, T', H/2, W/2, C')
        x = self.norm(x.mean(dim=(2, 3)))                              # (B, T', C_top)
        return x.transpose(1, 2)

    def forward(self, pixel_values: torch.Tensor) -> STPTOutput:
        level = self.features(pixel_values)
        step_logits = self.step_classifier(level.transpose(1, 2))     # (B, T', C + 1)
        logits, distances, centres, levels = [], [], [], []
        for index in range(len(self.downsample) + 1):
            if index:
                level = F.gelu(self.downsample[index - 1](level))      # (B, C, T' / 2^index)
            stride = 2 ** index
            hidden = self.tower(level)
            logits.append(self.classify(hidden).transpose(1, 2))
            distances.append(F.softplus(self.regress(hidden)).transpose(1, 2) * stride)
            steps = level.shape[-1]
            centres.append((torch.arange(steps, dtype=torch.float32, device=level.device) + 0.5) * stride)
            levels.append(torch.full((steps,), index, dtype=torch.long, device=level.device))
        return STPTOutput(torch.cat(logits, 1), torch.cat(distances, 1), torch.cat(centres), torch.cat(levels),
                          step_logits)

    @property
    def frames_per_step(self) -> int:
        """Source frames covered by one stage-1 time step."""
        return self.tubelet[0] * self.frame_stride
