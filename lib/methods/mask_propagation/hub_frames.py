"""How many frames a pretrained segmentor's run reads, fitted to this machine.

    hub_frames("mask2former-swin-t-ade")   # 12 on a CPU with native bfloat16, 3 on 2 float32-only cores

A pretrained Mask2Former segments every frame (the per-frame reference the propagated masks are scored against),
so its run costs about a segmentation per frame read. Measured: ~0.5 s a frame (bfloat16, 384 x 384) on a 2-core
CPU with native bfloat16, where the first HUB_MAX_FRAMES (about 1 s of video) stay near 10 s; 2.6 s a frame on a
2-core AMD EPYC without it (float32; 12 frames took 31.7 s), SECONDS_PER_ESTIMATE times what lib.models.speed
estimates from the matmul rate for its 78 GFLOPs. So the count is what fits TIME_BUDGET_S by that estimate, at
least MIN_HUB_FRAMES (a key frame and two propagated ones at the default k).
"""
from __future__ import annotations

from lib.models import get_spec
from lib.models.speed import machine_estimate

HUB_MAX_FRAMES = 12
MIN_HUB_FRAMES = 3
TIME_BUDGET_S = 8.0  # the 10 s rule less decoding, propagation and drawing
SECONDS_PER_ESTIMATE = 2.3  # measured seconds a frame / the matmul-rate estimate (2.64 / 1.14 s, 114 GFLOP/s fp32)


def seconds_per_frame(segmentor: str) -> float:
    """Estimated seconds of one frame of a pretrained segmentor's run here (the machine's rate, not a measured run,
    so the frame count does not change from one run to the next)."""
    return SECONDS_PER_ESTIMATE * machine_estimate(segmentor, 1).seconds


def hub_frames(segmentor: str) -> int:
    """Frames a run with the pretrained `segmentor` reads: HUB_MAX_FRAMES where they fit TIME_BUDGET_S here, fewer
    on a slower machine, never below MIN_HUB_FRAMES."""
    if get_spec(segmentor).gflops_per_input is None:  # no cost known (a local test checkpoint): no cut
        return HUB_MAX_FRAMES
    fitting = int(TIME_BUDGET_S / max(seconds_per_frame(segmentor), 1e-9))
    return max(MIN_HUB_FRAMES, min(HUB_MAX_FRAMES, fitting))
