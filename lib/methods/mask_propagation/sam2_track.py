"""SAM 2 as the tab's fourth way to propagate: the key frame's masks (segmented or painted) prompt SAM 2.1
hiera-tiny, whose memory carries them to every other frame (sam2_propagation.py), in the tab's PropagationTrack.

    PROPAGATORS                       # FLOW_METHODS + "sam2", what the tab's method menu lists
    check_propagator("sam2")          # UserInputError on a CPU (no override): ~99 s a frame there
    track = sam2_track(frames, keys, progress=...)            # -> PropagationTrack, one key frame (frame 0)
    baselines(frames, keys, reference, methods, t)            # per-frame, MPVSS and plain flow on the same clip
    sam2_point(track, reference, num_classes)                 # the run as a point of the cost/accuracy plot

Unlike the flows, SAM 2 is prompted once, on frame 0 (k does not apply): frame 0 costs the segmentor plus SAM 2's
prompted forward, every other frame SAM 2's image encoder at 1024 x 1024 plus its memory attention per object.
Class 0 (background in the toy world and in painted masks) is not prompted: it is where no object's mask is
positive. It is offered where CUDA is (lib.models.gpu_only), like V-JEPA 2 in the Attention tab.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch

from lib.methods.mask_propagation.metrics import confusion
from lib.methods.mask_propagation.motion import FLOW_METHODS, FlowMethod
from lib.methods.mask_propagation.propagate import PropagationTrack, display_grid
from lib.methods.mask_propagation.sam2_propagation import propagate_with_sam2
from lib.methods.mask_propagation.segmentors import KeyFrames
from lib.methods.mask_propagation.sweep import SweepPoint, sweep_clip
from lib.models import load_model
from lib.models.gpu_only import gpu_sentence, refuse_on_cpu, runs_here

SAM2 = "sam2"
SAM2_MODEL = "sam2.1-hiera-tiny"
PROPAGATORS: dict[str, str] = {**FLOW_METHODS, SAM2: "SAM 2.1 hiera-tiny memory (prompted with frame 0's masks; GPU)"}
BASELINE_K = 5  # the flows beside SAM 2 run at the tab's default key-frame interval
Progress = Callable[[float, str], None]


def propagator_label(name: str) -> str:
    """The menu text of `name`; SAM 2's says it needs a GPU where none is (and no override)."""
    if name == SAM2 and not runs_here():
        return PROPAGATORS[SAM2].replace("; GPU)", "; needs a GPU, refused on this CPU)")
    return PROPAGATORS[name]


def check_propagator(name: str) -> None:
    """UserInputError when `name` is SAM 2 and this machine cannot run it (gpu_sentence says why)."""
    if name == SAM2:
        refuse_on_cpu(SAM2_MODEL, "Pick the MPVSS query flow here, or set VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1 and "
                                  "be patient.")


def load_sam2() -> torch.nn.Module:
    """The registry's shared Sam2VideoModel (tests replace this with a tiny one)."""
    return load_model(SAM2_MODEL)


def sam2_track(frames: np.ndarray, keys: KeyFrames, *, progress: Progress | None = None,
               model: torch.nn.Module | None = None) -> PropagationTrack:
    """Prompt SAM 2 with frame 0's key-frame labels and propagate; frames (T, H, W, 3) uint8.

    The track has one key frame (0), zero flows and warp errors (SAM 2 warps nothing), and per frame SAM 2's
    counted FLOPs and seconds (frame 0 also the segmentation that made its masks, keys.flops / keys.seconds).
    """
    t_total, height, width = frames.shape[:3]
    key = keys.segment(0)
    result = propagate_with_sam2(model if model is not None else load_sam2(), frames, key.labels((height, width)),
                                 progress=progress)
    gh, gw = display_grid(height, width)
    flops, seconds = result.flops.copy(), result.seconds.copy()
    flops[0] += int(keys.flops)
    seconds[0] += float(keys.seconds)
    labels = result.labels if len(key.class_names) <= 256 else result.labels.astype(np.int32)
    return PropagationTrack(
        labels=labels, is_key=np.arange(t_total) == 0, key_index=np.zeros(t_total, np.int64),
        since_key=np.arange(t_total), flow=np.zeros((t_total, gh, gw, 2), np.float32),
        segment_flows=tuple(np.zeros((0, gh, gw, 2), np.float32) for _ in range(t_total)),
        segment_classes=tuple(np.zeros(0, np.int64) for _ in range(t_total)), warp_error=np.zeros(t_total),
        flops=flops, seconds=seconds, class_names=key.class_names)


def baselines(frames: np.ndarray, keys: KeyFrames, reference: np.ndarray | None, methods: Mapping[str, FlowMethod],
              num_classes: int) -> tuple[SweepPoint, ...]:
    """Per-frame segmentation and every flow in `methods` at k = BASELINE_K on SAM 2's clip, scored against the
    same reference (the key-frame segmentations reused): what the result shows beside SAM 2. () without a
    segmentor (painted masks) or a reference."""
    if keys.segmentations is None or reference is None:
        return ()
    ks = (1, min(BASELINE_K, len(frames)))
    return tuple(sweep_clip(frames, keys.segmentations, reference, dict(methods), ks, key_flops=keys.flops,
                            key_seconds=keys.seconds, num_classes=num_classes))


def sam2_point(track: PropagationTrack, reference: np.ndarray, num_classes: int) -> SweepPoint:
    """A SAM 2 run as a cost/accuracy point (k = the clip's length: one key frame)."""
    t_total = track.num_frames
    return SweepPoint(SAM2, t_total, confusion(track.labels, reference, num_classes), int(track.flops.sum()),
                      float(track.seconds.sum()), t_total, 0.0, t_total - 1)


def gpu_note() -> str:
    """The sentence the tab shows under its method menu where SAM 2 cannot run ("" where it can)."""
    return "" if runs_here() else gpu_sentence(SAM2_MODEL)
