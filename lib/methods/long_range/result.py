"""What the long-range tab keeps about one video: the frozen result types shared by task.py and render.py."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lib.methods.long_range.data import COUNT_LABELS, COUNTED_ACTION


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

    def counted_segments(self) -> list[tuple[int, int]]:
        """Ground-truth bounce segments (start, end) in source frames (toy videos; empty otherwise)."""
        return [(s, e) for s, e, label in self.segments if label == COUNTED_ACTION]

    @property
    def seconds_per_token(self) -> float:
        return float(np.diff(self.frame_indices).mean() / self.fps / self.tokens_per_frame)

    def summary(self) -> str:
        truth = f"; true answer {self.class_labels[self.true_label]}" if self.true_label is not None else ""
        return (f"{self.source}: {len(self.frames)} frames -> {self.num_tokens:,} tokens. Bounces counted by "
                f"S4: {self.class_labels[self.s4.predicted]} ({self.s4.probs.max():.0%}), by attention: "
                f"{self.class_labels[self.attention_run.predicted]} ({self.attention_run.probs.max():.0%}){truth}.")
