"""ToMe inside the frame encoder: fewer tokens in every block, the throughput side of token merging.

run_tome_encoder(video, r=...) -> ToMeEncoderResult    FrameViT with and without merging on a few frames
render_tome_groups(result) -> image                    the groups left after the last block, per frame
"""
from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lib.errors import UserInputError
from lib.hooks import count_flops
from lib.methods.token_merging.model import FrameViT
from lib.methods.token_merging.render_groups import group_picture
from lib.models import load_model
from lib.models.preprocess import IMAGENET_MEAN, IMAGENET_STD, video_to_tensor
from lib.toyworld import CLASS_NAMES
from lib.video import Clip, load_clip
from lib.viz import put_label, resize_to_height, tile


@dataclass(frozen=True)
class ToMeEncoderResult:
    """FrameViT on N frames with r tokens merged per block vs without merging.

    frames:           (N, H, W, 3) uint8 display frames.
    assignment:       (N, P) final token (0..) of every patch with merging.
    tokens_per_block: tokens entering each block with merging (CLS included), then the final count.
    gflops_plain, gflops_tome: FLOPs of the N-frame forward pass (FlopCounterMode).
    seconds_plain, seconds_tome: median wall time of interleaved runs on this machine.
    classes_plain, classes_tome: predicted actor class name per frame.
    """

    frames: np.ndarray
    assignment: np.ndarray
    grid: tuple[int, int]
    r: int
    tokens_per_block: tuple[int, ...]
    gflops_plain: float
    gflops_tome: float
    seconds_plain: float
    seconds_tome: float
    classes_plain: tuple[str, ...]
    classes_tome: tuple[str, ...]

    def summary(self) -> str:
        agree = sum(a == b for a, b in zip(self.classes_plain, self.classes_tome))
        return (f"**ToMe r={self.r} per block**: tokens per block {' -> '.join(map(str, self.tokens_per_block))}; "
                f"{self.gflops_plain:.2f} -> {self.gflops_tome:.2f} GFLOPs "
                f"({self.gflops_plain / self.gflops_tome:.2f}x fewer), wall time {self.seconds_plain * 1e3:.0f} -> "
                f"{self.seconds_tome * 1e3:.0f} ms ({self.seconds_plain / self.seconds_tome:.2f}x, measured now on "
                f"a shared machine); predicted actor class unchanged on {agree}/{len(self.classes_plain)} frames.")


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


def render_tome_groups(result: ToMeEncoderResult, *, height: int = 160, cols: int = 4) -> np.ndarray:
    """(H', W', 3) uint8: each frame's ToMe groups after the last block, labelled with both predictions."""
    pictures = []
    for frame, assignment, before, after in zip(result.frames, result.assignment, result.classes_plain,
                                                result.classes_tome):
        big = resize_to_height(frame, height)
        picture = group_picture(big[None], assignment, result.grid)[0]
        pictures.append(put_label(picture, f"{before} / ToMe: {after}", corner="bottom-left"))
    return tile(pictures, cols=min(cols, len(pictures)))
