"""What differs between the model families the Attention tab records: token grid, call, output, block names.

    grid = token_grid(model, "vjepa2", num_frames=16, size=256)   # TokenGrid(8, 16, 16, tubelet=(2, 16, 16))
    with eager_attention(model):                                   # DINOv2 is shared with Token merging (sdpa)
        output = call_model(model, "dinov2", pixel_values)         # (1, T, 3, S, S) -> the model's output

Families and the layout of their recorded maps (lib.methods.attention.maps):
    stpt        the bundled STPT (local windows / global), geometry from the model itself
    videomae    VideoMAE: tubelets 2x16x16, no CLS, one global map per block       (heads, N, N)
    vjepa2      V-JEPA 2: tubelets 2x16x16, no CLS, 3-D RoPE, one global map/block  (heads, N, N); only the
                encoder's 24 blocks count (its predictor is skipped at inference, its probe pools the tokens)
    timesformer divided space-time: a time and a space map per block
    dinov2      an image encoder run on every frame: one per-frame map per block, CLS first
                (T, heads, 1 + H*W, 1 + H*W), the "space" layout; no prediction (no trained head)
The geometry comes from each model's config, never from its name.
"""
from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator

import torch

from lib.hooks import TokenGrid, find_attention_modules

FAMILIES = ("stpt", "videomae", "timesformer", "dinov2", "vjepa2")
TUBELET_FAMILIES = ("videomae", "vjepa2")  # one global map over (T / tubelet) x H x W tokens per block
FRAME_FAMILIES = ("dinov2",)  # image encoders: each frame its own sequence

_EAGER_LOCK = threading.Lock()
_EAGER_USERS: dict[int, tuple[int, str]] = {}  # id(model) -> (runs in flight, the implementation to restore)


def token_grid(model: torch.nn.Module, family: str, num_frames: int, size: int) -> TokenGrid:
    """The token grid of a transformers model on `num_frames` frames of size x size pixels (prefix tokens kept
    out: TimeSformer's and DINOv2's CLS lives in the maps, not in the grid)."""
    config = model.config
    p = int(config.patch_size)
    if family in TUBELET_FAMILIES:
        ts = int(config.tubelet_size)
        return TokenGrid(num_frames // ts, size // p, size // p, tubelet=(ts, p, p))
    return TokenGrid(num_frames, size // p, size // p, tubelet=(1, p, p))  # one token per frame patch


def block_of_module(family: str, name: str, index: int) -> tuple[int, str] | None:
    """(block, part) of attention module `name` (index `index` in find_attention_modules), None when it is not
    one of the family's recorded blocks (V-JEPA 2's predictor and probe)."""
    import re

    if family == "vjepa2" and ".encoder.layer." not in name:
        return None
    found = re.search(r"(?:^|\.)layers?\.(\d+)\.", name)
    block = int(found.group(1)) if found else index
    if family == "timesformer":
        return block, "time" if ".temporal_attention." in name else "space"
    return block, "space" if family in FRAME_FAMILIES else "global"


def call_model(model: torch.nn.Module, family: str, pixel_values: torch.Tensor):
    """Run a transformers model on pixel_values (1, T, 3, S, S) the way its family takes it, on its device."""
    pixel_values = pixel_values.to(next(model.parameters()).device)
    if family == "vjepa2":
        return model(pixel_values_videos=pixel_values)
    if family in FRAME_FAMILIES:
        return model(pixel_values=pixel_values[0])  # the frames as a batch of images: (T, 3, S, S)
    return model(pixel_values=pixel_values)


def logits_of(family: str, output) -> torch.Tensor | None:
    """(classes,) logits of a batch of one, or None for an encoder without a trained head (DINOv2)."""
    if family in FRAME_FAMILIES:
        return None
    return output.logits[0]


@contextlib.contextmanager
def eager_attention(model: torch.nn.Module) -> Iterator[None]:
    """Run `model` with eager attention (so its maps can be read) inside the block, then restore its own.

    The loaded model is shared with other tabs (DINOv2 is a fused-attention frame encoder in Token merging), so
    the switch is counted: the first run switches, the last one restores; eager computes the same outputs."""
    config = getattr(model, "config", None)
    already_eager = getattr(config, "_attn_implementation", "eager") == "eager" and id(model) not in _EAGER_USERS
    if config is None or already_eager:
        yield
        return
    key = id(model)
    with _EAGER_LOCK:
        count, previous = _EAGER_USERS.get(key, (0, config._attn_implementation))
        if count == 0:
            model.set_attn_implementation("eager")
        _EAGER_USERS[key] = (count + 1, previous)
    try:
        yield
    finally:
        with _EAGER_LOCK:
            count, previous = _EAGER_USERS[key]
            if count == 1:
                model.set_attn_implementation(previous)
                del _EAGER_USERS[key]
            else:
                _EAGER_USERS[key] = (count - 1, previous)


_FUSED_LOCKS: dict[int, threading.Lock] = {}  # id(model) -> held while some of its blocks are switched to fused


@contextlib.contextmanager
def fused_except(model: torch.nn.Module, modules: list[torch.nn.Module]) -> Iterator[None]:
    """Inside the block, every attention module of `model` but `modules` (the recorded ones) runs torch's fused
    kernel: what is not shown need not materialise its N x N map (VideoMAE-B recording 3 of 12 blocks: about a
    quarter less forward time on 2 cores, outputs equal to 1e-6). Each switched module gets its own copy of the
    config, since transformers' attention modules read the implementation from the shared config. Runs on one
    model are serialised while switched, so a run recording every block never meets a fused one. A model without
    sdpa support (TimeSformer) runs unchanged."""
    if not getattr(type(model), "_supports_sdpa", False):
        yield
        return
    keep = {id(module) for module in modules}
    with _EAGER_LOCK:
        lock = _FUSED_LOCKS.setdefault(id(model), threading.Lock())
    with lock:
        switched = []
        for _, module in find_attention_modules(model):
            config = getattr(module, "config", None)
            if id(module) in keep or getattr(config, "_attn_implementation", None) != "eager":
                continue
            fused = copy.copy(config)
            fused._attn_implementation = "sdpa"
            module.config = fused
            switched.append((module, config))
        try:
            yield
        finally:
            for module, config in switched:
                module.config = config
