"""One forward pass when a pretrained (hub) model loads, so the first visitor does not pay the process's first one.

    warm_up(spec, model)   # seconds it took, or None where it was skipped

The first forward of a shape sets up oneDNN's kernels for it (with bfloat16 autocast on AMX/AVX-512 they are
generated then), allocates the memory pools and runs every lazy initialisation. A tab's whole first call took 2-8 s
more than the same call again on 2 cores (benchmarks/hub_models.py, `call s` vs `again s`); this pays the
forward's share of that at load (the rest lies outside the model, see the README). The warm-up runs one input as the
catalog's sampling shapes it (the shape its gflops_per_input was counted on), in the precision the tabs use,
during loading, which the tabs already show as a stage. Skipped on a CPU for a forward over
CPU_WARM_UP_MAX_GFLOPS (V-JEPA 2: a minute there), and for SAM 2 everywhere (its video session builds its own
inputs). On a CPU it also measures the matmul rate the time estimates use (lib.models.speed, ~0.4 s), which the
first action would otherwise pay.
"""
from __future__ import annotations

import logging
import time

import torch

from lib.models.matmul import matmul_rate
from lib.models.precision import choose_precision, inference_precision, model_device
from lib.models.spec import ModelSpec

_LOG = logging.getLogger(__name__)
# A forward over this on a CPU is not worth paying at load: V-JEPA 2's 1,870 GFLOPs take a minute on 2 cores
# (it is GPU-only in the app); CLIP-L/14's 162 take about a second.
CPU_WARM_UP_MAX_GFLOPS = 1000.0


def canonical_input_shape(spec: ModelSpec) -> tuple[int, ...]:
    """The shape of one input as `spec.sampling` makes it: (1, T, 3, S, S) for a video classifier, (1, 3, S, S)
    for an image model (S: the crop, else the short side)."""
    if spec.sampling is None:
        raise ValueError(f"{spec.name} has no sampling in the catalog")
    side = spec.sampling.crop or spec.sampling.short_side
    if spec.task == "video-classification":
        return (1, spec.sampling.num_frames, 3, side, side)
    return (1, 3, side, side)


def input_name(spec: ModelSpec) -> str:
    """The keyword the model's forward takes its pixels as."""
    return "pixel_values_videos" if spec.family == "vjepa2" else "pixel_values"


def warm_up(spec: ModelSpec, model: torch.nn.Module) -> float | None:
    """Run one canonical input through `model` (a hub checkpoint of `spec`); the seconds taken, or None if
    skipped (bundled models, SAM 2, V-JEPA 2 on a CPU, a checkpoint that does not take that input)."""
    device = model_device(model)
    if spec.source != "hub" or spec.sampling is None or spec.family == "sam2":
        return None
    if device.type == "cpu" and (spec.gflops_per_input or 0) > CPU_WARM_UP_MAX_GFLOPS:
        return None
    pixels = torch.zeros(canonical_input_shape(spec), device=device)
    start = time.perf_counter()
    try:
        with inference_precision(device):
            model(**{input_name(spec): pixels})
    except (ValueError, RuntimeError) as err:  # a checkpoint of another geometry than the catalog's (tests' tiny ones)
        _LOG.info("%s: no warm-up (%s)", spec.name, err)
        return None
    if device.type == "cpu":  # the matmul rate the tabs' time estimates start from: measured here, not on a click
        matmul_rate(choose_precision(device).name)
    return time.perf_counter() - start
