"""The results of the Token merging tab, as frozen dataclasses: what task modules return and render modules draw.

TokenMergingResult   LongVLM's merged-token sequence of one video (run_token_merging)
ToMeEncoderResult    FrameViT on a few frames with and without ToMe inside the encoder (run_tome_encoder)

Kept apart from task.py / encoder.py so render modules can take these types without importing the code
that runs models.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from lib.methods.token_merging.budget import Budget
from lib.methods.token_merging.segments import SegmentMerge


@dataclass(frozen=True)
class TokenMergingResult:
    """LongVLM's token sequence for one video, with everything needed to draw where tokens came from.

    frames:        (T, H, W, 3) uint8 sampled frames (display size), T = S * M.
    timestamps:    (T,) float64 seconds of each frame in the source video.
    segments:      S SegmentMerge, in temporal order; segment s holds frames s*M .. s*M+M-1.
    global_tokens: (G, C) float32 CLS of the last G hidden states averaged over all frames (for an encoder
                   without CLS, SigLIP, the mean patch token of each of those states: global_from).
    sequence:      (G + S * K, C) float32 the final sequence [global; segment 1; ...; segment S].
    grid:          (rows, cols) patch grid of each frame.
    budgets:       token counts of the alternatives (raw, LongVLM, Video-ChatGPT pooling, 8 frames).
    similarity:    (S, S) Chamfer cosine similarity between segments' merged tokens.
    timings:       seconds spent decoding, encoding and merging.
    global_from:   "cls" or "patch-mean": what the global tokens were built from.
    merge_error:   mean over segments of the relative reconstruction error of the patch features when each
                   patch is replaced by its merged token (0 = exact, 1 = as bad as the segment's mean vector;
                   budget.relative_error), a scale-free merge fidelity that compares across encoders.
    pooling_error: the same for average pooling to the same number of tokens (budget.pool_reconstruct).
    """

    frames: np.ndarray
    timestamps: np.ndarray
    segments: tuple[SegmentMerge, ...]
    global_tokens: np.ndarray
    sequence: np.ndarray
    grid: tuple[int, int]
    budgets: tuple[Budget, ...]
    similarity: np.ndarray
    model_name: str
    metric: str
    duration: float
    timings: dict[str, float] = field(default_factory=dict)
    global_from: str = "cls"
    merge_error: float = float("nan")
    pooling_error: float = float("nan")

    @property
    def num_segments(self) -> int:
        return len(self.segments)

    @property
    def frames_per_segment(self) -> int:
        return self.segments[0].frames

    @property
    def raw_tokens(self) -> int:
        return int(self.frames.shape[0]) * self.grid[0] * self.grid[1]

    @property
    def merged_tokens(self) -> int:
        return int(self.sequence.shape[0])

    def segment_times(self, s: int) -> np.ndarray:
        """(M,) timestamps of segment s's frames."""
        m = self.frames_per_segment
        return self.timestamps[s * m:(s + 1) * m]

    def summary(self) -> str:
        """One paragraph of Markdown: counts, ratio and where the time went."""
        k = self.segments[0].num_tokens
        spent = ", ".join(f"{name} {sec:.1f} s" for name, sec in self.timings.items())
        # LongVLM's global tokens are CLS tokens; said when an encoder without CLS got a stand-in instead
        stand_in = (" This encoder has no CLS token (it pools with an attention head), so the global tokens are "
                    "its mean patch token per layer, averaged over frames." if self.global_from != "cls" else "")
        return (f"**{self.raw_tokens:,} patch tokens -> {self.merged_tokens:,} tokens** "
                f"({self.raw_tokens / self.merged_tokens:.0f}x fewer): {len(self.global_tokens)} global + "
                f"{self.num_segments} segments x {k} merged tokens, from {self.frames.shape[0]} frames of a "
                f"{self.duration:.0f} s video ({self.grid[0]}x{self.grid[1]} patches per frame, encoder "
                f"`{self.model_name}`, metric `{self.metric}`). Time: {spent}.{stand_in}{self.fidelity_sentence()}")

    def fidelity_sentence(self) -> str:
        """How well the merged tokens stand for every patch, against average pooling to the same count."""
        if np.isnan(self.merge_error):
            return ""
        return (f" Merge fidelity: replacing each patch by its merged token leaves {self.merge_error:.0%} of the "
                f"features' spread unexplained (average pooling to the same count: {self.pooling_error:.0%}).")


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
        """One paragraph of Markdown: tokens per block, FLOPs, wall time and how often the prediction held."""
        agree = sum(a == b for a, b in zip(self.classes_plain, self.classes_tome))
        return (f"**ToMe r={self.r} per block**: tokens per block {' -> '.join(map(str, self.tokens_per_block))}; "
                f"{self.gflops_plain:.2f} -> {self.gflops_tome:.2f} GFLOPs "
                f"({self.gflops_plain / self.gflops_tome:.2f}x fewer), wall time {self.seconds_plain * 1e3:.0f} -> "
                f"{self.seconds_tome * 1e3:.0f} ms ({self.seconds_plain / self.seconds_tome:.2f}x, measured now on "
                f"a shared machine); predicted actor class unchanged on {agree}/{len(self.classes_plain)} frames.")
