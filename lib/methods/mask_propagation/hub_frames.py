"""How many frames a pretrained segmentor's run reads, fitted to this machine.

    hub_frames("mask2former-swin-t-ade")   # 12 where they fit, 3 on 2 float32-only cores

A pretrained Mask2Former segments every frame (the per-frame reference the propagated masks are scored against),
so its run costs about a segmentation per frame read. Its time is not its matmuls': the Swin windows' copies, the
pixel decoder's grid sampling and its normalisations move memory, so bfloat16 (which speeds the matmuls) helps it
little. Measured seconds a frame against what lib.models.speed estimates from the matmul rate for its 79 GFLOPs
(SECONDS_PER_ESTIMATE, per precision): float32 2.64 s for 1.14 s estimated on a 2-core AMD EPYC (2.3x); bfloat16
1.29 s for 0.39 s on a 2-core Xeon with AMX (613 GFLOP/s bf16 matmuls, 15 GB/s copies: 3.3x), and 0.53 s on an
earlier 2-core bfloat16 machine. So the count is what fits TIME_BUDGET_S by that estimate, at most
HUB_MAX_FRAMES (about 1 s of video), at least MIN_HUB_FRAMES (a key frame and two propagated ones at the
default k).
"""
from __future__ import annotations

from lib.models import get_spec
from lib.models.precision import choose_precision
from lib.models.speed import machine_estimate

HUB_MAX_FRAMES = 12
MIN_HUB_FRAMES = 3
TIME_BUDGET_S = 8.0  # the 10 s rule less decoding, propagation and drawing
SECONDS_PER_ESTIMATE = {"float32": 2.3, "bfloat16": 3.3}  # measured seconds a frame / the matmul-rate estimate


def seconds_per_frame(segmentor: str) -> float:
    """Estimated seconds of one frame of a pretrained segmentor's run here (the machine's rate, not a measured run,
    so the frame count does not change from one run to the next)."""
    return SECONDS_PER_ESTIMATE[choose_precision().name] * machine_estimate(segmentor, 1).seconds


def hub_frames(segmentor: str) -> int:
    """Frames a run with the pretrained `segmentor` reads: HUB_MAX_FRAMES where they fit TIME_BUDGET_S here, fewer
    on a slower machine, never below MIN_HUB_FRAMES."""
    if get_spec(segmentor).gflops_per_input is None:  # no cost known (a local test checkpoint): no cut
        return HUB_MAX_FRAMES
    fitting = int(TIME_BUDGET_S / max(seconds_per_frame(segmentor), 1e-9))
    return max(MIN_HUB_FRAMES, min(HUB_MAX_FRAMES, fitting))
