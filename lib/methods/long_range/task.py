"""Long-range tab: ViS4mer's S4 decoder vs its attention twin on one long video, and live cost curves.

run_long_range(video_or_None, ...) -> LongRangeResult   encode frames, run both decoders, keep what to show
run_cost_curves(...) -> CostCurves                       time/memory of one S4 vs one attention layer
The pictures of both results are in render.py; the face (lib.methods.long_range) re-exports both.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from lib.errors import UserInputError
from lib.hooks import record_attention
from lib.methods.long_range.cost_curves import CostCurves, check_attention_fits, geometric_lengths, measure_cost_curves
from lib.methods.long_range.data import (
    IMAGE_SIZE,
    NUM_FRAMES,
    SAMPLED_FPS,
    STRIDE,
    count_label,
    sampled_indices,
    task_video,
)
from lib.methods.long_range.frame_encoder import frame_pairs
from lib.methods.long_range.result import DecoderRun, LongRangeResult
from lib.methods.long_range.s4_kernel import memory_length
from lib.models import load_model
from lib.video import Clip, load_clip

S4_MODEL = "vis4mer-tiny-toy"
ATTENTION_MODEL = "vis4mer-attention-tiny-toy"
ENCODER_MODEL = "toy-frame-encoder"
MAX_TOY_FRAMES = 8192
Progress = Callable[[float, str], None]


def attention_span(attention: np.ndarray, fraction: float = 0.9) -> np.ndarray:
    """(L,) int per query row: smallest d such that keys within |k - q| <= d hold `fraction` of the row."""
    length = attention.shape[-1]
    rows = attention.astype(np.float64)
    distance = np.abs(np.arange(length)[None, :] - np.arange(rows.shape[0])[:, None])  # (Q, L)
    spans = np.empty(rows.shape[0], dtype=np.int64)
    for q in range(rows.shape[0]):
        mass = np.bincount(distance[q], weights=rows[q], minlength=length).cumsum()
        spans[q] = int(np.searchsorted(mass, fraction * mass[-1]))
    return spans


def _has_video(video: str | Path | Clip | None) -> bool:
    """A clip or a path was given (None or "" means: the toy video)."""
    return isinstance(video, Clip) or bool(video)


def _load_frames(video: str | Path | Clip | None, seed: int, num_frames: int):
    """Sampled frames, their source indices, fps, ground truth (segments, label) and a description.

    A path is decoded at SAMPLED_FPS with the short side IMAGE_SIZE; a Clip is used as it is; None draws
    the long toy video of `seed` (the only case with ground truth).
    """
    if _has_video(video):
        clip = video if isinstance(video, Clip) else load_clip(
            video, fps=SAMPLED_FPS, short_side=IMAGE_SIZE, max_frames=MAX_TOY_FRAMES // STRIDE + 1)
        if clip.num_frames < 9:
            raise UserInputError("The video is too short for this tab: choose one of at least 2 seconds.")
        source = clip.source if isinstance(video, Clip) else video
        name = Path(source).name if source else "the given clip"
        return clip.frames, np.asarray(clip.indices), float(clip.fps), (), None, name
    if not 64 <= num_frames <= MAX_TOY_FRAMES:
        raise UserInputError(f"Choose between 64 and {MAX_TOY_FRAMES:,} frames for the toy video.")
    video = task_video(int(seed), num_frames=int(num_frames))
    indices = sampled_indices(video.num_frames)
    segments = tuple((s.start, s.end, s.label) for s in video.segments)
    return (video.frames(indices.tolist()), indices, video.fps, segments, count_label(video),
            f"toy video {seed} ({num_frames} frames)")


def _check_budget(attention_model, num_tokens: int, budget_mb: float) -> None:
    # the forward pass plus the recorded maps stay below the training-step prediction used here
    check_attention_fits(num_tokens, attention_model.widths[0], attention_model.layers[0].mixer.heads, budget_mb,
                         backward=True, what="video's token sequence")


def _run_decoder(model, tokens: torch.Tensor, name: str) -> DecoderRun:
    start = time.perf_counter()
    logits = model(tokens)
    seconds = time.perf_counter() - start
    predicted = int(logits.argmax(-1))
    parts = model.contributions(tokens, predicted)[0]
    return DecoderRun(name=name, probs=logits.softmax(-1)[0].numpy(), contributions=parts.numpy(), seconds=seconds)


@torch.no_grad()
def run_long_range(video: str | Path | Clip | None, *, seed: int = 900_000, num_frames: int = NUM_FRAMES,
                   budget_mb: float = 1024.0, progress: Progress | None = None) -> LongRangeResult:
    """Encode the video's sampled frame pairs into tokens, run the S4 decoder and its attention twin.

    video: a video file (decoded here at 6.25 frames per second), an already-decoded Clip (used as it is),
    or None for the long toy video of `seed` with `num_frames` frames (25 fps, every 4th frame sampled).
    budget_mb: memory the attention twin may use; a longer token sequence is refused (UserInputError
    naming the largest length that fits).
    """
    report = progress or (lambda fraction, message: None)
    encoder = load_model(ENCODER_MODEL, device="cpu")
    s4_model, attention_model = load_model(S4_MODEL, device="cpu"), load_model(ATTENTION_MODEL, device="cpu")
    if not _has_video(video) and 64 <= num_frames <= MAX_TOY_FRAMES:  # refuse before rendering anything
        _check_budget(attention_model, (len(sampled_indices(num_frames)) - 1) * encoder.tokens_per_frame, budget_mb)
    report(0.05, "decoding frames")
    frames, indices, fps, segments, true_label, source = _load_frames(video, seed, num_frames)
    num_tokens = (len(frames) - 1) * encoder.tokens_per_frame
    _check_budget(attention_model, num_tokens, budget_mb)
    report(0.2, "encoding frames")
    tokens = encoder.encode_video(frames).unsqueeze(0)  # (1, L, d)
    pairs_actions = _frame_actions(encoder, frames)
    report(0.4, "running the S4 decoder")
    s4_run = _run_decoder(s4_model, tokens, "S4 (ViS4mer)")
    kernels = s4_model.layers[0].mixer.s4.kernel(num_tokens)
    report(0.6, "running the attention twin")
    with record_attention(attention_model, layers=[0]) as recording:
        attention_run = _run_decoder(attention_model, tokens, "self-attention twin")
    attention = recording.maps[0][0].float().mean(0).numpy().astype(np.float16)  # (L, L)
    report(0.9, "measuring receptive fields")
    return LongRangeResult(
        source=source, frames=frames, frame_indices=indices, fps=fps, tokens_per_frame=encoder.tokens_per_frame,
        num_tokens=num_tokens, stage_shapes=tuple(s4_model.stage_shapes(num_tokens)), s4=s4_run,
        attention_run=attention_run, kernels=kernels.numpy(), kernel_memory=memory_length(kernels).numpy(),
        attention=attention, attention_span=attention_span(attention), frame_actions=pairs_actions,
        frame_action_names=tuple(encoder.class_names), segments=segments, true_label=true_label,
        budget_mb=float(budget_mb))


def _frame_actions(encoder, frames: np.ndarray) -> np.ndarray:
    """(T,) the frame encoder's action class of each frame pair, 256 pairs at a time."""
    pairs = frame_pairs(frames, encoder.image_size)
    return torch.cat([encoder.classify(pairs[i:i + 256]).argmax(-1) for i in range(0, len(pairs), 256)]).numpy()


def run_cost_curves(*, longest: int = 8192, shortest: int = 256, points: int = 6, dim: int = 64, heads: int = 1,
                    state_size: int = 16, budget_mb: float = 1024.0, backward: bool = True,
                    progress: Progress | None = None) -> CostCurves:
    """Measure one S4D layer and one attention layer (width `dim`) at `points` lengths from shortest to longest.

    Attention lengths whose predicted memory exceeds budget_mb are not run (marked in the figure).
    """
    if longest > 1 << 17:
        raise UserInputError("Choose a longest sequence of at most 131,072 tokens.")
    lengths = geometric_lengths(int(shortest), int(longest), int(points))
    report = progress or (lambda fraction, message: None)
    return measure_cost_curves(lengths, dim=dim, heads=heads, state_size=state_size, budget_mb=budget_mb,
                               backward=backward,
                               on_point=lambda i, n: report(i / n, f"measured {i}/{n} lengths"))
