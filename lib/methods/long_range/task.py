"""Long-range tab: ViS4mer's S4 decoder vs its attention twin on one long video, and live cost curves.

run_long_range(path_or_None, ...) -> LongRangeResult   encode frames, run both decoders, keep what to show
run_cost_curves(...) -> CostCurves                      time/memory of one S4 vs one attention layer
render_* (lib.methods.long_range.render)                 plotly figures / images from those results
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from lib.errors import UserInputError
from lib.hooks import record_attention
from lib.methods.long_range.cost_curves import CostCurves, check_attention_fits, geometric_lengths, measure_cost_curves
from lib.methods.long_range.data import (
    COUNT_LABELS,
    COUNTED_ACTION,
    IMAGE_SIZE,
    NUM_FRAMES,
    SAMPLED_FPS,
    STRIDE,
    count_label,
    sampled_indices,
    task_video,
)
from lib.methods.long_range.s4_kernel import memory_length
from lib.models import load_model

S4_MODEL = "vis4mer-tiny-toy"
ATTENTION_MODEL = "vis4mer-attention-tiny-toy"
ENCODER_MODEL = "toy-frame-encoder"
MAX_TOY_FRAMES = 8192
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class DecoderRun:
    """One decoder on the video. probs (C,) in [0, 1]; contributions (L_final,): share of the predicted
    class's logit from each final position (they add up to logit minus bias); seconds: forward time."""

    name: str
    probs: np.ndarray
    contributions: np.ndarray
    seconds: float

    @property
    def predicted(self) -> int:
        return int(self.probs.argmax())


@dataclass(frozen=True)
class LongRangeResult:
    """Everything the tab shows about one video.

    frames: (T+1, h, w, 3) uint8 sampled frames; frame_indices (T+1,) their index in the source video;
    fps: source frames per second. Tokens: tokens_per_frame per frame pair, num_tokens = T * tokens_per_frame.
    stage_shapes: (length, channels) entering each decoder layer, then the head's input.
    kernels: (H, num_tokens) impulse responses of the S4 decoder's first layer; kernel_memory (H,) tokens
    holding 90% of each kernel's mass. attention: (num_tokens, num_tokens) float16 first-layer attention of
    the twin, mean over heads, rows sum to 1; attention_span (num_tokens,) tokens around each query
    holding 90% of its row. frame_actions (T,) the frame encoder's action guess per pair.
    segments: ground-truth (start, end, label) in source frames, toy videos only; true_label likewise.
    """

    source: str
    frames: np.ndarray
    frame_indices: np.ndarray
    fps: float
    tokens_per_frame: int
    num_tokens: int
    stage_shapes: tuple[tuple[int, int], ...]
    s4: DecoderRun
    attention_run: DecoderRun
    kernels: np.ndarray
    kernel_memory: np.ndarray
    attention: np.ndarray
    attention_span: np.ndarray
    frame_actions: np.ndarray
    frame_action_names: tuple[str, ...]
    class_labels: tuple[str, ...] = COUNT_LABELS
    segments: tuple[tuple[int, int, int], ...] = ()
    true_label: int | None = None
    budget_mb: float = 0.0

    def token_frame(self, token: int | np.ndarray) -> np.ndarray:
        """Source frame index at the start of a token's frame pair."""
        return self.frame_indices[np.asarray(token) // self.tokens_per_frame]

    @property
    def seconds_per_token(self) -> float:
        return float(np.diff(self.frame_indices).mean() / self.fps / self.tokens_per_frame)

    def summary(self) -> str:
        truth = f"; true answer {self.class_labels[self.true_label]}" if self.true_label is not None else ""
        return (f"{self.source}: {len(self.frames)} frames -> {self.num_tokens:,} tokens. Bounces counted by "
                f"S4: {self.class_labels[self.s4.predicted]} ({self.s4.probs.max():.0%}), by attention: "
                f"{self.class_labels[self.attention_run.predicted]} ({self.attention_run.probs.max():.0%}){truth}.")


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


def _load_frames(path: str | None, seed: int, num_frames: int):
    """Sampled frames, their source indices, fps, ground truth (segments, label) and a description."""
    if path:
        from lib.video import load_clip

        clip = load_clip(path, fps=SAMPLED_FPS, short_side=IMAGE_SIZE, max_frames=MAX_TOY_FRAMES // STRIDE + 1)
        if clip.num_frames < 9:
            raise UserInputError("The video is too short for this tab: choose one of at least 2 seconds.")
        name = str(path).rsplit("/", 1)[-1]
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
def run_long_range(path: str | None, *, seed: int = 900_000, num_frames: int = NUM_FRAMES, budget_mb: float = 1024.0,
                   progress: Progress | None = None) -> LongRangeResult:
    """Encode the video's sampled frame pairs into tokens, run the S4 decoder and its attention twin.

    path: a video file, or None for the long toy video of `seed` with `num_frames` frames (25 fps).
    Frames are sampled at 6.25 per second (every 4th toy frame). budget_mb: memory the attention twin
    may use; a longer token sequence is refused (UserInputError naming the largest length that fits).
    """
    report = progress or (lambda fraction, message: None)
    encoder = load_model(ENCODER_MODEL, device="cpu")
    s4_model, attention_model = load_model(S4_MODEL, device="cpu"), load_model(ATTENTION_MODEL, device="cpu")
    if path is None and 64 <= num_frames <= MAX_TOY_FRAMES:  # refuse before rendering anything
        _check_budget(attention_model, (len(sampled_indices(num_frames)) - 1) * encoder.tokens_per_frame, budget_mb)
    report(0.05, "decoding frames")
    frames, indices, fps, segments, true_label, source = _load_frames(path, seed, num_frames)
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
    from lib.methods.long_range.frame_encoder import frame_pairs

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


def counted_segments(result: LongRangeResult) -> list[tuple[int, int]]:
    """Ground-truth bounce segments (start, end) in source frames (toy videos)."""
    return [(s, e) for s, e, label in result.segments if label == COUNTED_ACTION]


from lib.methods.long_range.render import (  # noqa: E402  (re-exported: one import for tab and notebook)
    render_attention_vs_kernels,
    render_cost_curves,
    render_filmstrip,
    render_kernels,
    render_prediction,
    render_receptive_fields,
    render_stages,
    stage_rows,
)

__all__ = [
    "CostCurves", "DecoderRun", "LongRangeResult", "attention_span", "counted_segments",
    "render_attention_vs_kernels", "render_cost_curves", "render_filmstrip", "render_kernels", "render_prediction",
    "render_receptive_fields", "render_stages", "run_cost_curves", "run_long_range", "stage_rows",
]
