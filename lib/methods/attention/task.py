"""The Attention tab's computation: where patches look inside STPT (local early, global late) and video ViTs.

    result = run_attention("clip.mp4", model="stpt-tiny-toy", compare=True)
    render_query(result, layer=0, head=None, frame=10, y=40, x=80)     # see attention_render.py

For STPT the clip is read every `frame_stride`-th source frame in windows of 64 input frames; the
detector runs on every window (up to `max_windows`) and the attention is recorded on the first
window, for the model and (compare=True) for its all-global twin, on the same frames.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import cv2
import numpy as np
import torch

from lib.errors import UserInputError
from lib.methods.attention.data import detect, to_input
from lib.methods.attention.detection import Detection, Segment, nms_1d
from lib.methods.attention.record import MAX_RECORD_BYTES, ModelView, record_view
from lib.models import load_model, spec_preprocess_config, video_to_tensor
from lib.models.registry import get_spec
from lib.video import load_clip
from lib.video.decode import probe_video

STPT_MODEL = "stpt-tiny-toy"
STPT_TWIN = "stpt-global-tiny-toy"
MODEL_CHOICES = (STPT_MODEL, "videomae-base-k400", "timesformer-base-k400")
DISPLAY_SIZE = 192  # side of the square frames the overlays are drawn on
MAX_DECODED = 768  # frames decoded at most for STPT (at 128 px short side: ~70 MB)


@dataclass(frozen=True)
class AttentionResult:
    """Everything the Attention tab shows for one clip.

    frames:        (T, D, D, 3) uint8 model-input frames (centre-cropped square) at display size D.
    input_size:    side of the model's input in pixels (query pixels are scaled from D to it).
    source_frames: (T,) source frame index of every input frame; fps of the source.
    main, twin:    the model's view and, for STPT with compare, the all-global twin's view.
    detections:    STPT detections over the analysed span (source frames), per model name.
    ground_truth:  toy-world segments of the clip when known (source frames), else empty.
    span:          (first, end) source frames the detector covered.
    """

    frames: np.ndarray
    input_size: int
    source_frames: np.ndarray
    fps: float
    main: ModelView
    twin: ModelView | None = None
    detections: dict[str, tuple[Detection, ...]] = field(default_factory=dict)
    ground_truth: tuple[Segment, ...] = ()
    span: tuple[int, int] = (0, 0)
    labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def views(self) -> tuple[ModelView, ...]:
        return (self.main,) if self.twin is None else (self.main, self.twin)

    def query_pixel(self, y: float, x: float) -> tuple[int, int]:
        """Display pixel (y, x) -> model-input pixel."""
        scale = self.input_size / self.frames.shape[1]
        return int(min(y * scale, self.input_size - 1)), int(min(x * scale, self.input_size - 1))


def square_frames(frames: np.ndarray, size: int) -> np.ndarray:
    """(T, H, W, 3) uint8 -> (T, size, size, 3): centre square crop (as video_to_tensor crops), resized."""
    _, h, w, _ = frames.shape
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = frames[:, top:top + side, left:left + side]
    return np.stack([cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in crop])


def ground_truth_for(path: str | Path, num_source_frames: int) -> tuple[Segment, ...]:
    """Toy-world segments of a bundled example clip (matched by name and frame count), else ()."""
    from lib.toyworld import load_example_ground_truth

    try:
        truth = load_example_ground_truth(Path(path).stem)
    except (UserInputError, OSError, KeyError, ValueError):
        return ()
    if truth.num_frames != num_source_frames:
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
    from lib.toyworld import ACTION_NAMES, LONG_VIDEO_ACTIONS

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
            name: str, preprocess, layers: Sequence[int] | None = None,
            max_record_bytes: int = MAX_RECORD_BYTES) -> AttentionResult:
    """A transformers video classifier (VideoMAE / TimeSformer, eager attention) on frames (T, H, W, 3)."""
    pixels = video_to_tensor(frames, size=preprocess.size, mean=preprocess.mean, std=preprocess.std,
                             crop=preprocess.crop)[None]
    view = record_view(model, family, pixels, name=name, layers=layers, max_record_bytes=max_record_bytes)
    id2label = getattr(model.config, "id2label", {}) or {}
    labels = tuple(str(id2label.get(i, f"class {i}")) for i in range(len(view.logits)))
    return AttentionResult(frames=square_frames(frames, DISPLAY_SIZE), input_size=int(pixels.shape[-1]),
                           source_frames=np.asarray(source_frames, np.int64), fps=fps, main=view, labels=labels)


def run_attention(path: str | Path | None, *, model: str = STPT_MODEL, compare: bool = True,
                  layers: Sequence[int] | None = None, max_windows: int = 6,
                  max_record_bytes: int = MAX_RECORD_BYTES) -> AttentionResult:
    """Analyse the video at `path` with one of MODEL_CHOICES (see the module docstring).

    layers: attention layers to record (indices into the model's attention modules; None = all).
    Raises UserInputError (a sentence) for a missing/bad video, an unknown or unavailable model, or a
    recording that would not fit in `max_record_bytes`.
    """
    if not path:
        raise UserInputError("Choose an example clip above or upload a video first.")
    if model not in MODEL_CHOICES:
        raise UserInputError(f"Unknown model {model!r}; choose one of: {', '.join(MODEL_CHOICES)}.")
    spec = get_spec(model)
    if spec.family == "stpt":
        info = probe_video(path)
        stride = 4  # the bundled detectors read every 4th frame of 25 fps video
        # Decode at the training rate, then keep the first windows (a cap on decoded frames would respace them).
        clip = load_clip(path, fps=info.fps / stride, short_side=128, max_frames=MAX_DECODED)
        keep = spec.num_frames * max_windows
        result = run_stpt(clip.frames[:keep], clip.indices[:keep], clip.fps, compare=compare, layers=layers,
                          ground_truth=ground_truth_for(path, info.num_frames), max_record_bytes=max_record_bytes)
        if len(clip.indices) > 1 and clip.indices[1] - clip.indices[0] > stride:
            notes = result.notes + (f"This video is long, so frames were read {clip.indices[1] - clip.indices[0]} "
                                    f"apart instead of {stride}; detections may suffer.",)
            result = replace(result, notes=notes)
        return result
    loaded = load_model(model)  # raises ModelUnavailableError (a sentence) when offline and not cached
    config = spec_preprocess_config(spec)
    clip = load_clip(path, num_frames=spec.num_frames, short_side=max(DISPLAY_SIZE, spec.image_size or 224))
    return run_hub(clip.frames, clip.indices, clip.fps, loaded, spec.family, name=model, preprocess=config,
                   layers=layers, max_record_bytes=max_record_bytes)
