"""The mask-propagation pipeline (MPVSS): clip -> key-frame masks -> propagation -> scores -> frozen result.

run_mask_propagation(video, ...) -> MaskPropagationResult   a path (decoded once, cached) or a decoded Clip
run_on_frames(frames, ...) -> MaskPropagationResult         the same on (T, H, W, 3) frames (tests, notebook)
run_cost_sweep(result, ks) -> CostSweep                      every (flow method, k) on the result's clip
load_propagation_clip(path) -> PropagationClip               frames at the tab's sampling (+ ground truth)
This module only orchestrates; the steps live in segmentors.py (key-frame masks), propagate.py (warping and
diagnostics), metrics.py (reference, IoUs, drift) and sweep.py.
"""
from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from lib.errors import UserInputError
from lib.examples import identify_example
from lib.methods.mask_propagation.hub_frames import hub_frames, seconds_per_frame
from lib.methods.mask_propagation.metrics import drift_by_offset, frame_ious, reference_labels
from lib.methods.mask_propagation.motion import FLOW_METHODS, FlowMethod
from lib.methods.mask_propagation.propagate import key_frames, propagate
from lib.methods.mask_propagation.result import CostSweep, MaskPropagationResult, PropagationClip
from lib.methods.mask_propagation.sam2_track import (
    PROPAGATORS,
    SAM2,
    baselines,
    check_propagator,
    sam2_point,
    sam2_track,
)
from lib.methods.mask_propagation.segmentors import (
    KeyFrameSegmentor,
    hub_class_names,
    painted_key_frame,
    segment_every_frame,
)
from lib.methods.mask_propagation.sweep import SWEEP_KS, sweep_clip
from lib.methods.mask_propagation.warp import resize_labels
from lib.models import PreprocessConfig, get_spec, load_model, spec_preprocess_config
from lib.models.preprocess import resize_frames
from lib.toyworld import load_example_ground_truth
from lib.video import Clip, load_clip, load_frames

BUNDLED_SEGMENTOR = "query-segmentor-tiny-toy"
MOTION_MODEL = "mpvss-flow-tiny-toy"
PAINTED = "painted"
SEGMENTORS: dict[str, str] = {
    BUNDLED_SEGMENTOR: "Query segmentor (bundled, trained on the toy world)",
    "mask2former-swin-t-ade": "Mask2Former Swin-T, ADE20K (hub download)",
    "mask2former-swin-t-cityscapes": "Mask2Former Swin-T, Cityscapes (hub download)",
    PAINTED: "Masks I paint on the first frame",
}
Progress = Callable[[float, str], None]

CLIP_FPS = 12.5        # frames per second sampled from the video (consecutive motion stays small)
CLIP_MAX_FRAMES = 40   # longer videos are sampled more sparsely
CLIP_SHORT_SIDE = 128  # the bundled models were trained on 128 x 128 toy-world frames
CLIP_CACHE = 4         # decoded clips kept: the paint editor's first frame and the run share one decode


def propagation_clip(clip: Clip) -> PropagationClip:
    """A decoded Clip as the tab uses it: its sampling rate, and ground truth when its source file *is* a
    bundled toy-world example (same bytes, lib.examples.identify_example), never because of its name.

    The photo-pan example's ground truth is background only, so it is scored like a user video.
    """
    example = identify_example(clip.source) if clip.source else None
    truth = None
    if example is not None and example.name.startswith("toy"):
        try:
            gt = load_example_ground_truth(example.name)
        except UserInputError:  # an example without ground-truth files
            gt = None
        if gt is not None:
            truth = resize_labels(gt.semantic[np.clip(clip.indices, 0, gt.num_frames - 1)], *clip.frames.shape[1:3])
    rate = CLIP_FPS if len(clip.indices) < 2 else clip.fps / max(float(np.median(np.diff(clip.indices))), 1.0)
    return PropagationClip(clip.frames, float(rate), truth, Path(clip.source).name if clip.source else "frames",
                           indices=np.asarray(clip.indices), source=clip.source)


@functools.lru_cache(maxsize=CLIP_CACHE)
def _decoded(path: str, size: int, mtime_ns: int) -> PropagationClip:
    """Keyed by size and mtime too, so a file rewritten under the same name is decoded again."""
    return propagation_clip(load_clip(path, num_frames=None, fps=CLIP_FPS, short_side=CLIP_SHORT_SIDE,
                                      max_frames=CLIP_MAX_FRAMES))


def load_propagation_clip(path: str | Path) -> PropagationClip:
    """Decode a video for propagation (12.5 fps, at most 40 frames, short side 128), once per file version
    (the last CLIP_CACHE files are cached), with ground truth for bundled toy-world examples.
    Raises VideoError (a UserInputError)."""
    p = Path(path)
    try:
        stat = p.stat()
    except OSError:  # let the decoder say what is wrong with the path
        return propagation_clip(load_clip(p, num_frames=None, fps=CLIP_FPS, short_side=CLIP_SHORT_SIDE,
                                          max_frames=CLIP_MAX_FRAMES))
    return _decoded(str(p.resolve()), stat.st_size, stat.st_mtime_ns)


def _segmentor(name: str) -> KeyFrameSegmentor:
    if name not in SEGMENTORS or name == PAINTED:
        raise UserInputError(f"Unknown segmentor {name!r}; choose one of: {', '.join(SEGMENTORS)}.")
    model = load_model(name)  # ModelUnavailableError (a UserInputError) when offline or missing
    spec = get_spec(name)
    if spec.source == "bundled":
        return KeyFrameSegmentor(model, "bundled", tuple(model.class_names))
    return KeyFrameSegmentor(model, "mask2former", hub_class_names(model), preprocess=spec_preprocess_config(spec))


@functools.lru_cache(maxsize=2)
def _segmentor_decode(path: str, size: int, mtime_ns: int, indices: tuple[int, ...],
                      preprocess: PreprocessConfig) -> np.ndarray:
    return load_frames(path, np.asarray(indices), transform=lambda f: resize_frames(f[None], preprocess)[0]).frames


def segmentor_frames(clip: PropagationClip, preprocess: PreprocessConfig | None) -> np.ndarray | None:
    """The clip's frames as a hub segmentor receives them: decoded again from the source file (same indices)
    and resized by its processor (Mask2Former: 384 x 384), never upscaled from the 128 px analysis frames.
    None when there is no processor or no readable source (the segmentor then resizes the frames given)."""
    if preprocess is None or clip.source is None or clip.indices is None or not Path(clip.source).is_file():
        return None
    stat = Path(clip.source).stat()
    return _segmentor_decode(str(Path(clip.source).resolve()), stat.st_size, stat.st_mtime_ns,
                             tuple(int(i) for i in clip.indices), preprocess)


def flow_method(name: str) -> FlowMethod:
    if name not in FLOW_METHODS:
        raise UserInputError(f"Unknown flow method {name!r}; choose one of: {', '.join(PROPAGATORS)}.")
    return FlowMethod(name, load_model(MOTION_MODEL) if name == "mpvss" else None)


def run_mask_propagation(video: str | Path | Clip, *, segmentor: str = BUNDLED_SEGMENTOR, flow: str = "mpvss",
                         k: int = 5, painting: np.ndarray | None = None,
                         progress: Progress | None = None) -> MaskPropagationResult:
    """Segment key frames 0, k, 2k, ... of a video and propagate their masks to the other frames.

    video: a path (decoded at 12.5 fps, <= 40 frames, short side 128; cached) or a decoded Clip (used as
    is). A hub Mask2Former segments those frames decoded again from the source at its processor's size.
    Bundled toy-world examples (by content) are scored against their ground truth, other videos against
    per-frame segmentation (painted masks: no reference). painting: (H', W', 3|4) brush layer over frame 0
    (segmentor="painted"). Raises UserInputError (VideoError) for bad files and settings.
    """
    clip = propagation_clip(video) if isinstance(video, Clip) else load_propagation_clip(video)
    notes: tuple[str, ...] = ()
    if segmentor in SEGMENTORS and segmentor != PAINTED and get_spec(segmentor).source == "hub":
        clip, notes = _first_frames(clip, hub_frames(segmentor), segmentor)
        if notes and int(k) > len(clip.frames):  # fewer frames read than the interval: frame 0 is the one key
            notes += (f"k = {int(k)} is more than the {len(clip.frames)} frames read, so frame 0 is the only key "
                      "frame.",)
            k = len(clip.frames)
    result = run_on_frames(clip.frames, segmentor=segmentor, flow=flow, k=k, fps=clip.fps, painting=painting,
                           ground_truth=clip.ground_truth, progress=progress, clip=clip)
    return dataclasses.replace(result, notes=notes) if notes else result


def _first_frames(clip: PropagationClip, count: int, segmentor: str) -> tuple[PropagationClip, tuple[str, ...]]:
    """The clip's first `count` frames (a pretrained segmentor's run) and the sentence saying so."""
    if len(clip.frames) <= count:
        return clip, ()
    cut = dataclasses.replace(
        clip, frames=clip.frames[:count],
        ground_truth=None if clip.ground_truth is None else clip.ground_truth[:count],
        indices=None if clip.indices is None else clip.indices[:count])
    cost = "" if get_spec(segmentor).gflops_per_input is None else \
        f" (about {seconds_per_frame(segmentor):.1f} s a frame on this machine)"
    return cut, (f"{segmentor} segments every frame for the per-frame reference{cost}, so this run reads the first "
                 f"{count} of the clip's {len(clip.frames)} sampled frames ({count / clip.fps:.1f} s).",)


def run_on_frames(frames: np.ndarray, *, segmentor: str = BUNDLED_SEGMENTOR, flow: str = "mpvss", k: int = 5,
                  fps: float = CLIP_FPS, painting: np.ndarray | None = None, ground_truth: np.ndarray | None = None,
                  progress: Progress | None = None, clip: PropagationClip | None = None,
                  sam2_model: torch.nn.Module | None = None) -> MaskPropagationResult:
    """run_mask_propagation on frames (T, H, W, 3) uint8 sampled at `fps`.

    flow: "mpvss", "dis", "none", or "sam2" (SAM 2 prompted with frame 0's masks, its memory carries them; k
    does not apply and the result's k is T; refused on a CPU without VIDEO_EXPLORER_GPU_ONLY_ON_CPU=1);
    sam2_model: the Sam2VideoModel to use (default: the catalog's sam2.1-hiera-tiny, loaded once).
    ground_truth: (T, H', W') class ids used as reference; otherwise the per-frame segmentation is the
    reference (none for painted masks). clip: where `frames` came from; a hub segmentor then segments the
    same frames decoded from its source at its own resolution (segmentor_frames), and its masks are brought
    back to the frames' grid. Raises UserInputError for bad settings.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise UserInputError("Expected video frames (T, H, W, 3).")
    key_frames(len(frames), 1 if flow == SAM2 else int(k))  # T >= 2 and 1 <= k <= T, before any model loads
    report = progress or (lambda *_: None)
    size = frames.shape[1:3]
    check_propagator(flow)  # SAM 2 on a CPU: refused before the segmentor runs
    method = None if flow == SAM2 else flow_method(flow)
    if segmentor == PAINTED:
        keys = painted_key_frame(painting, size)
    else:
        report(0.05, f"loading {segmentor}")
        model = _segmentor(segmentor)
        model_frames = segmentor_frames(clip, model.preprocess) if clip is not None else None
        report(0.1, "segmenting every frame (the per-frame reference)")
        keys = segment_every_frame(model, frames, model_frames)
    report(0.6, f"propagating with {flow}, k={k}")
    reference, kind = reference_labels(ground_truth, keys.segmentations, len(frames), size)
    beside: tuple = ()
    if method is None:  # SAM 2: prompted once on frame 0, so its one key-frame interval is the clip
        track = sam2_track(frames, keys, progress=lambda f, m: report(0.6 + 0.35 * f, m), model=sam2_model)
        k = len(frames)
        beside = baselines(frames, keys, reference, {n: flow_method(n) for n in ("mpvss", "dis")},
                           len(keys.class_names))
    else:
        track = propagate(frames, method, int(k), segment=keys.segment, key_flops=keys.flops,
                          key_seconds=keys.seconds, chained=keys.chained)
    frame_iou, miou = frame_ious(track.labels, reference, len(keys.class_names))
    report(1.0, "done")
    return MaskPropagationResult(frames=frames, fps=float(fps), segmentor=segmentor, flow=flow, k=int(k), track=track,
                                 reference=reference, reference_kind=kind, frame_iou=frame_iou, miou=miou,
                                 drift=drift_by_offset(frame_iou, track.since_key, int(k)),
                                 key_flops=int(keys.flops), key_seconds=float(keys.seconds),
                                 segmentations=keys.segmentations, baselines=beside)


def run_cost_sweep(result: MaskPropagationResult, ks: tuple[int, ...] = SWEEP_KS,
                   progress: Progress | None = None) -> CostSweep:
    """Every flow method at every k on the result's clip, against the same reference (segmentations reused);
    a SAM 2 result adds its own measured point."""
    if result.segmentations is None or result.reference is None:
        raise UserInputError("The cost/accuracy sweep needs a segmentor (painted masks have no per-frame "
                             "segmentation to compare with); pick a segmentor and propagate first.")
    methods = {name: flow_method(name) for name in FLOW_METHODS}
    points = sweep_clip(result.frames, result.segmentations, result.reference, methods, ks,
                        key_flops=result.key_flops, key_seconds=result.key_seconds,
                        num_classes=len(result.track.class_names), progress=progress)
    if result.flow == SAM2:  # the run's own point: SAM 2 is not run again
        points.append(sam2_point(result.track, result.reference, len(result.track.class_names)))
    return CostSweep(tuple(points), result.reference_kind)
