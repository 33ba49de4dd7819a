"""The Attention tab's computation: where patches look inside STPT (local early, global late) and video ViTs.

    result = run_attention("clip.mp4", model="stpt-tiny-toy", compare=True)   # or a decoded lib.video.Clip
    render_query(result, layer=0, head=None, frame=10, y=40, x=80)            # see render.py

For STPT the clip is read every `frame_stride`-th source frame in windows of 64 input frames; the
detector runs on every window (up to `max_windows`) and the attention is recorded on the first
window, for the model and (compare=True) for its all-global twin, on the same frames.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import torch

from lib.errors import UserInputError
from lib.examples import identify_example
from lib.methods.attention.clip_window import decode_spread, decode_window
from lib.methods.attention.data import detect, to_input
from lib.methods.attention.detection import Detection, Segment, nms_1d
from lib.methods.attention.families import FRAME_FAMILIES
from lib.methods.attention.gpu_only import DEFAULT_BLOCKS, check_offered, default_layers, frames_note
from lib.methods.attention.record import MAX_RECORD_BYTES, record_view
from lib.methods.attention.result import AttentionResult
from lib.models import load_model, spec_preprocess_config, video_to_tensor
from lib.models.precision import Precision
from lib.models.preprocess import preprocess_frames
from lib.models.registry import get_spec
from lib.models.speed import estimate_seconds, record_speed
from lib.toyworld import ACTION_NAMES, LONG_VIDEO_ACTIONS, load_example_ground_truth
from lib.video import Clip, load_clip, probe_video

STPT_MODEL = "stpt-tiny-toy"
STPT_TWIN = "stpt-global-tiny-toy"
MODEL_CHOICES = (STPT_MODEL, "videomae-base-k400", "timesformer-base-k400", "dinov2-small", "vjepa2-vitl-ssv2")
IMAGE_FRAMES = 8  # frames an image encoder (DINOv2) reads, spread over the video: 8 x 12.25 GFLOPs
DISPLAY_SIZE = 192  # side of the square frames the overlays are drawn on
MAX_DECODED = 768  # frames decoded at most for STPT (at 128 px short side: ~70 MB)
STRIDE = 4  # the bundled detectors read every 4th frame of 25 fps video


def square_frames(frames: np.ndarray, size: int) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, size, size, 3): centre square crop (as video_to_tensor crops), resized."""
    _, h, w, _ = frames.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = frames[:, top:top + side, left:left + side]
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in crop])


def ground_truth_for(video: str | Path | None) -> tuple[Segment, ...]:
    """Toy-world segments (source frames) of a bundled example clip, else ().

    The file is an example by its bytes (lib.examples.identify_example), never by its name: an upload
    merely called like an example gets no ground truth.
    """
    example = identify_example(video) if video else None
    if example is None:
        return ()
    try:
        truth = load_example_ground_truth(example.name)
    except (UserInputError, OSError, KeyError, ValueError):  # an example without (readable) ground truth
        return ()
    return tuple(Segment(s.start, s.end, s.label) for s in truth.segments)


def _windows(frames: np.ndarray, length: int) -> list[np.ndarray]:
    """Consecutive windows of `length` frames; the last one padded by repeating its final frame."""
    out = []
    for start in range(0, len(frames), length):
        chunk = frames[start:start + length]
        if len(chunk) < length:
            chunk = np.concatenate([chunk, np.repeat(chunk[-1:], length - len(chunk), axis=0)])
        out.append(chunk)
    return out


def run_stpt(frames: np.ndarray, source_frames: np.ndarray, fps: float, *, compare: bool = True,
             layers: Sequence[int] | None = None, models: tuple[torch.nn.Module, torch.nn.Module] | None = None,
             ground_truth: tuple[Segment, ...] = (), max_record_bytes: int = MAX_RECORD_BYTES) -> AttentionResult:
    """STPT (and its global twin) on frames (T, H, W, 3) uint8 sampled every model.frame_stride source frames.

    models: (local, global) to use instead of the bundled ones (tests). Detection covers all frames in
    windows of model.num_frames; attention is recorded on the first window.
    """
    local = models[0] if models else load_model(STPT_MODEL)
    twin = (models[1] if models else load_model(STPT_TWIN)) if compare else None
    windows = _windows(frames, local.num_frames)
    step = float(source_frames[1] - source_frames[0]) if len(source_frames) > 1 else local.frame_stride
    pixels = to_input(windows[0], local.image_size)[None]
    views = [record_view(m, "stpt", pixels, name=n, layers=layers, max_record_bytes=max_record_bytes)
             for m, n in ((local, STPT_MODEL), (twin, STPT_TWIN)) if m is not None]
    end = int(source_frames[-1] + step)
    detections = {}
    for model, name in ((local, STPT_MODEL), (twin, STPT_TWIN)):
        if model is None:
            continue
        found: list[Detection] = []
        for k, window in enumerate(windows):
            first = float(source_frames[0] + k * model.num_frames * step)
            found += detect(model, window, first_frame=first, frame_stride=step)
        clipped = [Detection(d.start, min(d.end, end), d.label, d.score) for d in found if d.start < end]
        detections[name] = tuple(nms_1d(clipped, iou_threshold=0.4))
    shown = frames[:local.num_frames]
    notes = []
    if len(frames) > local.num_frames:
        notes.append(f"Attention is shown for the first {local.num_frames} input frames "
                     f"({local.num_frames * step / fps:.1f} s); detections cover {len(windows)} windows.")
    if len(shown) < local.num_frames:
        notes.append(f"The clip is shorter than one window: its last frame was repeated to fill "
                     f"{local.num_frames} input frames.")
    return AttentionResult(
        frames=square_frames(windows[0], DISPLAY_SIZE), input_size=local.image_size,
        source_frames=(source_frames[0] + np.arange(local.num_frames) * step).astype(np.int64), fps=fps,
        main=views[0], twin=views[1] if len(views) > 1 else None, detections=detections,
        ground_truth=ground_truth, span=(int(source_frames[0]), end),
        labels=tuple(ACTION_NAMES[a] for a in LONG_VIDEO_ACTIONS), notes=tuple(notes))


def run_hub(frames: np.ndarray, source_frames: np.ndarray, fps: float, model: torch.nn.Module, family: str, *,
            name: str, preprocess, layers: Sequence[int] | None = None, parts: str = "both",
            max_record_bytes: int = MAX_RECORD_BYTES) -> AttentionResult:
    """A transformers video classifier (VideoMAE / TimeSformer / V-JEPA 2, eager attention) or image encoder
    (DINOv2, every frame on its own) on frames (T, H, W, 3).

    layers: blocks to record (None = all); parts: "both", "time" or "space" maps of TimeSformer's blocks."""
    if preprocess.resize is not None:  # a checkpoint's processor (frames at its input size pass unresized)
        pixels = preprocess_frames(frames, preprocess)[None]
    else:
        pixels = video_to_tensor(frames, size=preprocess.size, mean=preprocess.mean, std=preprocess.std,
                                 crop=preprocess.crop)[None]
    started = time.perf_counter()
    view = record_view(model, family, pixels, name=name, layers=layers, parts=parts,
                       max_record_bytes=max_record_bytes, summarise=name in DEFAULT_BLOCKS)
    if name in MODEL_CHOICES and get_spec(name).gflops_per_input is not None:  # later estimates use this run's rate
        inputs = len(frames) if family in FRAME_FAMILIES else 1
        record_speed(name, inputs=inputs, seconds=time.perf_counter() - started)
    id2label = getattr(model.config, "id2label", {}) or {}
    classes = 0 if view.logits is None else len(view.logits)  # DINOv2: no head, no labels
    labels = tuple(str(id2label.get(i, f"class {i}")) for i in range(classes))
    return AttentionResult(frames=square_frames(frames, DISPLAY_SIZE), input_size=int(pixels.shape[-1]),
                           source_frames=np.asarray(source_frames, np.int64), fps=fps, main=view, labels=labels,
                           notes=(Precision(view.precision).note,))


def time_estimate(model: str) -> str:
    """One line saying how long a pretrained model's run takes here, before it runs ("" for the bundled STPT)."""
    if model not in MODEL_CHOICES or get_spec(model).gflops_per_input is None:
        return ""
    spec = get_spec(model)
    if spec.family in FRAME_FAMILIES:
        return estimate_seconds(model, IMAGE_FRAMES).sentence(f"{IMAGE_FRAMES} frames")
    sentence = estimate_seconds(model, 1).sentence(f"one {spec.sampling.num_frames}-frame clip")
    return frames_note(model, sentence)


def _decode_stpt(video: str | Path | Clip) -> Clip:
    """The clip as the bundled detectors read it: every STRIDE-th frame (at 25 fps), 128 px short side."""
    if isinstance(video, Clip):
        return video
    info = probe_video(video)
    # Decode at the training rate, then keep the first windows (a cap on decoded frames would respace them).
    return load_clip(video, fps=info.fps / STRIDE, short_side=128, max_frames=MAX_DECODED)


def run_attention(video: str | Path | Clip, *, model: str = STPT_MODEL, compare: bool = True,
                  layers: Sequence[int] | None = None, parts: str = "both", max_windows: int = 6,
                  window_start: float | None = None, max_record_bytes: int = MAX_RECORD_BYTES) -> AttentionResult:
    """Analyse a video (a path, decoded here once, or a Clip used as is) with one of MODEL_CHOICES.

    See the module docstring for how STPT reads the clip. A Clip is taken as sampled: for STPT its
    frames should be every STRIDE-th source frame, for a hub model its own num_frames.
    A pretrained video model reads a file as it was trained (clip_window.decode_window: VideoMAE 16 frames 4
    apart, TimeSformer 8 x 32, at short side 224 from the source, centre-cropped): one window starting at
    `window_start` seconds (None: the middle of the video); result.window says which.
    layers: blocks whose attention to record (None = all; TimeSformer's block has a time and a space map, of
    which parts = "both", "time" or "space" are recorded).
    Raises UserInputError (a sentence) for a missing/bad video, an unknown or unavailable model, or a
    recording that would not fit in `max_record_bytes`.
    """
    if video is None or (not isinstance(video, Clip) and not str(video)):
        raise UserInputError("Choose an example clip above or upload a video first.")
    if model not in MODEL_CHOICES:
        raise UserInputError(f"Unknown model {model!r}; choose one of: {', '.join(MODEL_CHOICES)}.")
    spec = get_spec(model)
    check_offered(model)  # V-JEPA 2 needs a GPU: refused on a CPU with its measured seconds
    if spec.family == "stpt":
        clip = _decode_stpt(video)
        keep = spec.num_frames * max_windows
        truth = ground_truth_for(clip.source if isinstance(video, Clip) else video)
        result = run_stpt(clip.frames[:keep], clip.indices[:keep], clip.fps, compare=compare, layers=layers,
                          ground_truth=truth, max_record_bytes=max_record_bytes)
        if len(clip.indices) > 1 and clip.indices[1] - clip.indices[0] > STRIDE:
            notes = result.notes + (f"This video is long, so frames were read {clip.indices[1] - clip.indices[0]} "
                                    f"apart instead of {STRIDE}; detections may suffer.",)
            result = replace(result, notes=notes)
        return result
    loaded = load_model(model)  # raises ModelUnavailableError (a sentence) when offline and not cached
    config = spec_preprocess_config(spec)
    window = None
    layers, layers_note = default_layers(model, layers)
    if isinstance(video, Clip):
        clip = video
    elif spec.family in FRAME_FAMILIES:
        clip = decode_spread(video, config, IMAGE_FRAMES)
    elif spec.sampling is not None:
        clip, window = decode_window(video, spec, config, window_start)
    else:  # no trained sampling known: frames spread over the whole video
        clip = load_clip(video, num_frames=spec.num_frames, short_side=max(DISPLAY_SIZE, spec.image_size or 224))
    result = run_hub(clip.frames, clip.indices, clip.fps, loaded, spec.family, name=model, preprocess=config,
                     layers=layers, parts=parts, max_record_bytes=max_record_bytes)
    if layers_note:
        result = replace(result, notes=result.notes + (layers_note,))
    if spec.family in FRAME_FAMILIES:
        return replace(result, notes=result.notes + (
            f"{model} is an image encoder: {len(clip.indices)} frames spread over the video, each read on its own "
            "(no attention across frames); it has no trained head, so there is no prediction.",))
    if window is None:
        return result
    return replace(result, window=window, notes=result.notes + (window.describe(model),))
