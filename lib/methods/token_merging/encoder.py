"""ToMe inside the frame encoder: fewer tokens in every block, the throughput side of token merging.

run_tome_encoder(video, r=...) -> ToMeEncoderResult    FrameViT with and without merging on a few frames
The result type lives in result.py; its picture (render_tome_groups) in render.py.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path

import torch

from lib.errors import UserInputError
from lib.hooks import count_flops
from lib.methods.token_merging.model import FrameViT
from lib.methods.token_merging.result import ToMeEncoderResult
from lib.models import load_model
from lib.models.preprocess import IMAGENET_MEAN, IMAGENET_STD, video_to_tensor
from lib.toyworld import CLASS_NAMES
from lib.video import Clip, load_clip


def run_tome_encoder(video: str | Path | Clip, *, r: int = 20, num_frames: int = 8, repeats: int = 3,
                     model: str | FrameViT = "frame-vit-toy") -> ToMeEncoderResult:
    """Encode `num_frames` uniformly sampled frames with FrameViT at r = 0 and at r per block."""
    if r < 0:
        raise UserInputError("r (tokens merged per block) cannot be negative.")
    clip = video if isinstance(video, Clip) else load_clip(video, num_frames=num_frames, short_side=160)
    encoder = load_model(model) if isinstance(model, str) else model
    pixels = video_to_tensor(clip.frames, size=encoder.image_size, mean=IMAGENET_MEAN, std=IMAGENET_STD, crop=False)
    with torch.no_grad():
        plain, tome = encoder(pixels), encoder(pixels, r=r)
        merged = encoder.encode(pixels, r=r)
        times: dict[int, list[float]] = {0: [], r: []}
        for _ in range(repeats):
            for rate in (0, r):
                start = time.perf_counter()
                encoder.encode(pixels, r=rate, trace_source=False)
                times[rate].append(time.perf_counter() - start)
    flops = {rate: count_flops(lambda rate=rate: encoder.encode(pixels, r=rate)).gflops for rate in (0, r)}
    counts, n = [], 1 + encoder.num_patches
    for block_r in encoder._schedule(r):
        counts.append(n)
        n -= min(block_r, (n - 1) // 2)
    counts.append(n)
    name = lambda logits: tuple(CLASS_NAMES[int(i)] for i in logits.argmax(-1))  # noqa: E731
    return ToMeEncoderResult(
        frames=clip.frames, assignment=merged.assignment.numpy(), grid=(encoder.grid, encoder.grid), r=int(r),
        tokens_per_block=tuple(counts), gflops_plain=flops[0], gflops_tome=flops[r],
        seconds_plain=statistics.median(times[0]), seconds_tome=statistics.median(times[r]),
        classes_plain=name(plain["class_logits"]), classes_tome=name(tome["class_logits"]))

