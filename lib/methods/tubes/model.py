"""TubeViT (Piergiovanni, Kuo, Angelova, CVPR 2023): sparse video tubes -> ViT encoder -> attention pooling.

A few 3-D convolution tubes with large strides tokenise the video (SparseTubeTokenizer); a fixed 3-D
sin-cos embedding at each token's centre says where it came from; pre-LN transformer blocks; attention
pooling (one score per token, softmax over tokens, weighted sum) and a linear head. An image (B, 3, H, W)
goes through the 1-frame tubes only. With a single tube whose stride equals its kernel the same class is a
dense ViViT-style tubelet model (the "dense twin").

Structure follows the reading of daniel-code/TubeViT (tubevit/model.py) and the paper; written anew.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from lib.methods.tubes.geometry import TubeLayout, TubeSpec, image_tubes, tube_layout, tubes_from_lists
from lib.methods.tubes.kernels import interpolate_kernel
from lib.methods.tubes.position import sincos_3d
from lib.models.attention import ProbedSelfAttention
from lib.models.bundled import BundledModel


class SparseTubeTokenizer(nn.Module):
    """Video (B, C, T, H, W) -> tokens (B, N, dim), tubes in order, each tube's grid row-major (t, h, w).

    interpolated_kernels: one learned `base_kernel` weight resized trilinearly to every tube (TubeViT §3.3);
    otherwise one weight per tube. Each tube has its own bias.
    """

    def __init__(self, tubes: Sequence[TubeSpec], dim: int, in_channels: int = 3, *,
                 interpolated_kernels: bool = False, base_kernel: Sequence[int] = (8, 8, 8)) -> None:
        super().__init__()
        self.tubes = tuple(tubes)
        self.interpolated = interpolated_kernels
        if interpolated_kernels:
            self.base_weight = nn.Parameter(torch.empty(dim, in_channels, *base_kernel))
            nn.init.kaiming_uniform_(self.base_weight, a=5 ** 0.5)
            self.weights = nn.ParameterList()
        else:
            self.weights = nn.ParameterList(
                [nn.Parameter(torch.empty(dim, in_channels, *t.kernel)) for t in self.tubes])
            for weight in self.weights:
                nn.init.kaiming_uniform_(weight, a=5 ** 0.5)
        self.biases = nn.ParameterList([nn.Parameter(torch.zeros(dim)) for _ in self.tubes])

    def kernel(self, index: int) -> torch.Tensor:
        """(dim, C, t, h, w) effective kernel of tube `index`."""
        if self.interpolated:
            return interpolate_kernel(self.base_weight, self.tubes[index].kernel)
        return self.weights[index]

    def forward(self, video: torch.Tensor, indices: Sequence[int] | None = None) -> torch.Tensor:
        chosen = range(len(self.tubes)) if indices is None else indices
        tokens = []
        for i in chosen:
            tube = self.tubes[i]
            ot, oh, ow = tube.offset
            (kt, kh, kw), (st, sh, sw) = tube.kernel, tube.stride
            # A strided VALID conv3d as windows x kernel: same numbers, but far faster than CPU conv3d
            # (above all its backward), and FlopCounterMode counts the same 2*K*D per token.
            windows = video[:, :, ot:, oh:, ow:].unfold(2, kt, st).unfold(3, kh, sh).unfold(4, kw, sw)
            # windows: (B, C, nt, nh, nw, kt, kh, kw)
            grid = torch.einsum("bcthwxyz,dcxyz->bthwd", windows, self.kernel(i)) + self.biases[i]
            tokens.append(rearrange(grid, "b t h w d -> b (t h w) d"))  # (B, n_i, dim)
        return torch.cat(tokens, dim=1)


class SelfAttention(ProbedSelfAttention):
    """Multi-head self-attention (B, N, dim) -> (B, N, dim). Eager mode passes softmax(qk^T/sqrt(d)) through an
    AttentionProbe; `fast=True` uses fused scaled_dot_product_attention (training; nothing to record)."""

    def __init__(self, dim: int, heads: int, layer_index: int) -> None:
        super().__init__(dim, heads, probe_name="tubevit", layer_index=layer_index, scale_logits=True)
        self.fast = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x, fused=self.fast)


class Block(nn.Module):
    """Pre-LN transformer block (ViT): x + attn(LN(x)), then x + MLP(LN(x)) with exact GELU."""

    def __init__(self, dim: int, heads: int, mlp_dim: int, layer_index: int, eps: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = SelfAttention(dim, heads, layer_index)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.fc1 = nn.Linear(dim, mlp_dim)
        self.fc2 = nn.Linear(mlp_dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


@dataclass(frozen=True)
class TubeViTOutput:
    """logits (B, classes); pool_weights (B, N) attention-pooling weights (rows sum to 1); layout of the N tokens;
    pooled (B, dim) the pooled feature the head reads (joint image training puts a second head on it)."""

    logits: torch.Tensor
    pool_weights: torch.Tensor
    layout: TubeLayout
    pooled: torch.Tensor | None = None


class TubeViT(BundledModel):
    """Sparse-tube video transformer. Input (B, 3, T, H, W) or an image (B, 3, H, W), normalised with
    pixel_mean / pixel_std (default 0.5, 0.5: values in [-1, 1]); `video_input(frames, model)` prepares clips.

    tubes: [[kernel], [stride], [offset]] per tube, (t, h, w) order (see lib.methods.tubes.geometry).
    input_shape: the (T, H, W) the model was trained on (video_input resizes clips to it).
    head_trained: False when the pooling and classification head were never trained on video (TubeViT-B
        inflated from an image ViT): its logits are then no prediction, and the Tubes tab says so.
    """

    def __init__(self, tubes: list, input_shape: list[int], dim: int = 48, depth: int = 4, heads: int = 4,
                 mlp_dim: int = 96, num_classes: int = 10, class_names: list[str] | None = None,
                 interpolated_kernels: bool = False, base_kernel: list[int] | None = None,
                 layer_norm_eps: float = 1e-6, in_channels: int = 3, pixel_mean: list[float] | None = None,
                 pixel_std: list[float] | None = None, head_trained: bool = True) -> None:
        super().__init__()
        self.head_trained = bool(head_trained)
        # how video_input normalises frames for this model (values in [0, 1] -> (x - mean) / std)
        self.pixel_mean = tuple(pixel_mean or (0.5,) * in_channels)
        self.pixel_std = tuple(pixel_std or (0.5,) * in_channels)
        self.tube_specs = tubes_from_lists(tubes)
        self.input_shape = tuple(int(v) for v in input_shape)
        self.dim = dim
        self.class_names = list(class_names or [str(i) for i in range(num_classes)])
        self.tokenizer = SparseTubeTokenizer(self.tube_specs, dim, in_channels,
                                             interpolated_kernels=interpolated_kernels,
                                             base_kernel=tuple(base_kernel or (8, 8, 8)))
        self.blocks = nn.ModuleList([Block(dim, heads, mlp_dim, i, layer_norm_eps) for i in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=layer_norm_eps)
        self.pool_score = nn.Linear(dim, 1)
        self.head = nn.Linear(dim, num_classes)
        self._position_cache: dict[tuple, torch.Tensor] = {}
        tube_layout(self.input_shape, self.tube_specs)  # refuse configs that do not fit the input

    def set_fast_attention(self, fast: bool) -> None:
        """Fused attention (faster, records nothing) or eager attention through the probes."""
        for block in self.blocks:
            block.attn.fast = fast

    def layout(self, input_shape: Sequence[int]) -> TubeLayout:
        """Token layout for a (T, H, W) video, or (1, H, W) with only the image tubes when T == 1 and image."""
        return tube_layout(input_shape, self.tube_specs)

    def _tokens_and_layout(self, video: torch.Tensor) -> tuple[torch.Tensor, TubeLayout]:
        if video.ndim == 4:  # image (B, 3, H, W): only the 1-frame tubes, as the paper does
            indices = [i for i, t in enumerate(self.tube_specs) if t.is_image_tube]
            image = video.unsqueeze(2)  # (B, 3, 1, H, W)
            layout = tube_layout(image.shape[2:], image_tubes(self.tube_specs))
            return self.tokenizer(image, indices), layout
        if video.ndim != 5:
            raise ValueError(f"expected (B, 3, T, H, W) or (B, 3, H, W), got {tuple(video.shape)}")
        layout = tube_layout(video.shape[2:], self.tube_specs)
        return self.tokenizer(video), layout

    def position_embedding(self, layout: TubeLayout, device: torch.device) -> torch.Tensor:
        """(N, dim) fixed sin-cos embedding at the token centres (cached per layout, never trained)."""
        key = (layout.input_shape, tuple(layout.tubes), str(device))
        if key not in self._position_cache:
            self._position_cache[key] = torch.from_numpy(sincos_3d(layout.centres, self.dim)).to(device)
        return self._position_cache[key]

    def forward_features(self, video: torch.Tensor) -> TubeViTOutput:
        tokens, layout = self._tokens_and_layout(video)  # (B, N, dim)
        x = tokens + self.position_embedding(layout, tokens.device)
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        weights = self.pool_score(x).squeeze(-1).softmax(dim=-1)  # (B, N)
        pooled = torch.einsum("bn,bnd->bd", weights, x)
        return TubeViTOutput(logits=self.head(pooled), pool_weights=weights, layout=layout, pooled=pooled)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """(B, 3, T, H, W) or (B, 3, H, W) -> logits (B, num_classes)."""
        return self.forward_features(video).logits

    def kernels(self) -> list[np.ndarray]:
        """Per tube its effective kernel (dim, C, t, h, w) as float32 numpy."""
        with torch.no_grad():
            return [self.tokenizer.kernel(i).detach().float().cpu().numpy() for i in range(len(self.tube_specs))]


def video_input(frames: np.ndarray, model_or_shape: "TubeViT | Sequence[int]") -> torch.Tensor:
    """(T', H', W', 3) uint8 frames -> (1, 3, T, H, W) float for `model` (or a (T, H, W) shape with the default
    [-1, 1] normalisation): T frames picked uniformly (repeating frames when the clip is shorter), each scaled to
    cover (H, W) and centre-cropped, then normalised with the model's pixel_mean / pixel_std."""
    from lib.models.preprocess import video_to_tensor

    if isinstance(model_or_shape, TubeViT):
        shape, mean, std = model_or_shape.input_shape, model_or_shape.pixel_mean, model_or_shape.pixel_std
    else:
        shape, mean, std = tuple(model_or_shape), (0.5, 0.5, 0.5), (0.5, 0.5, 0.5)
    t, h, w = (int(v) for v in shape)
    frames = np.asarray(frames)
    picks = np.floor((np.arange(t) + 0.5) * len(frames) / t).astype(int)
    video = video_to_tensor(frames[picks], size=(h, w), mean=mean, std=std)  # (T, 3, H, W)
    return video.permute(1, 0, 2, 3).unsqueeze(0).contiguous()


def normalise_batch(batch: torch.Tensor, model: TubeViT) -> torch.Tensor:
    """(B, 3, T, H, W) uint8 clips (or (B, 3, H, W) images) already at the model's size -> float input, normalised
    as video_input does."""
    shape = (1, -1) + (1,) * (batch.ndim - 2)
    mean = torch.tensor(model.pixel_mean).view(shape)
    std = torch.tensor(model.pixel_std).view(shape)
    return (batch.float() / 255.0 - mean) / std
