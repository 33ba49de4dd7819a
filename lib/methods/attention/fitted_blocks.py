"""Blocks the Attention tab proposes to record where recording every block would break the 10 s rule here.

    default_layers_text("videomae-base-k400")   # "" (every block) on a fast CPU; "0, 6, 11" where float32 is slow

Recording a block costs more than running it: its (heads, N, N) maps are materialised, kept in fp16, summarised and
rolled out, while a block not recorded runs torch's fused attention (families.fused_except). VideoMAE-B on the 10 s
640x360 clip, one process on a 2-core AMD EPYC without native bfloat16: all 12 blocks 22.3 s, blocks 0, 6, 11
11.9 s, block 0 alone 11.9 s (busy machine; quiet, all 12 took 17.4 s), so every block costs about ALL_BLOCKS_FACTOR
times the plain forward pass that lib.models.speed estimates from this machine's matmul rate; where that exceeds
TIME_BUDGET_S the tab proposes the first, middle and last block instead, and writing more is one edit away.
TimeSformer-B has no fused attention in transformers (its forward is the cost either way) and is not fitted.
"""
from __future__ import annotations

from lib.models.speed import machine_estimate

TIME_BUDGET_S = 8.0  # the 10 s rule less decoding and drawing
ALL_BLOCKS_FACTOR = {"videomae-base-k400": 2.9}  # quiet 17.4 s all blocks / 5.9 s estimated forward (102 GFLOP/s)
FITTED_BLOCKS = {"videomae-base-k400": (0, 6, 11)}  # early, middle, late of 12


def all_blocks_seconds(model: str) -> float | None:
    """Estimated seconds of recording every block of `model` here (None where no fit is known)."""
    factor = ALL_BLOCKS_FACTOR.get(model)
    return None if factor is None else factor * machine_estimate(model, 1).seconds


def default_layers_text(model: str) -> str:
    """What the tab's "Layers" box starts with for `model`: "" (every block) where that fits TIME_BUDGET_S by this
    machine's estimate (not by a measured run, so the proposal does not change from one run to the next), else
    the FITTED_BLOCKS as text."""
    seconds = all_blocks_seconds(model)
    if seconds is None or seconds <= TIME_BUDGET_S:
        return ""
    return ", ".join(map(str, FITTED_BLOCKS[model]))


def fitted_note(model: str) -> str:
    """One line for the page when the tab proposes fewer blocks ("" otherwise)."""
    text = default_layers_text(model)
    if not text:
        return ""
    return (f"Recording every block of {model} would take about {all_blocks_seconds(model):.0f} s on this machine, so "
            f"blocks {text} are proposed; clear 'Layers' to record all of them.")
