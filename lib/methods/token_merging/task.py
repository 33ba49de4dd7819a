"""Token merging tab: a long video -> LongVLM's merged-token sequence, with every token's sources.

run_token_merging(video, ...) -> TokenMergingResult    decode by segments, encode, merge, budgets
encoder_choices() -> [name]                             the frame encoders the tab offers
default_frames(name) / time_estimate(name, frames)      frames a default action samples; its time, said first
check_settings(...) -> frames per segment               refuses impossible settings with a sentence
The result type lives in result.py and its pictures in render.py (the face re-exports both).
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from lib.errors import UserInputError
from lib.methods.token_merging.budget import pool_reconstruct, relative_error, segment_similarity, token_budgets
from lib.methods.token_merging.features import encode_frames, encoder_geometry, encoder_preprocess
from lib.methods.token_merging.result import TokenMergingResult
from lib.methods.token_merging.segments import METRICS, SegmentMerge, global_tokens, merge_segment
from lib.methods.token_merging.towers import GLOBAL_FROM_CLS, TOWER_FAMILIES
from lib.models import PreprocessConfig, get_spec, list_models, load_model, spec_preprocess_config
from lib.models.preprocess import resize_frames
from lib.models.speed import estimate_seconds, fitting_inputs, record_speed
from lib.video import Clip, load_clip, load_frames, probe_video, segment_indices

DEFAULT_MODEL = "frame-vit-toy"
DEFAULT_FRAMES = 100  # LongVLM's 100 frames: the bundled encoder does them in about a second
# The most frames a default action samples with each tower, on the fastest 2-core CPUs seen (native bfloat16);
# slower machines get fewer (default_frames). CLIP-B/16 costs 35 GFLOPs a frame, CLIP-L/14 162; in bfloat16 on a
# 2-core AMX Xeon the encoder ran 0.14 s and 0.7 s a frame in batches of 16 (benchmarks/hub_models.py).
# SigLIP 2 B/16 at 224 costs what CLIP-B/16 does (same ViT-B, 196 patches; its MAP head is skipped), so 60 too;
# DINOv2-S/14 (12 GFLOPs: 22 M parameters, 256 patches) a third of it, but its narrow matmuls reach less of the
# peak: 100 frames took 9-11 s there, so 80. (DINOv2-B/14, 46 GFLOPs, is not offered: on the busy machine it took
# 5-22 s for its default action, so the 10 s rule is not shown.)
DEFAULT_FRAMES_BY_MODEL = {"clip-vit-b16": 60, "clip-vit-l14": 20, "siglip2-base-p16-224": 60, "dinov2-small": 80}
DEFAULT_SEGMENTS = 10  # the tab's default segment count (LongVLM's)
MIN_FRAMES = 3  # the fewest frames a default action samples: one for each of 3 segments still shows a timeline
ENCODE_BATCH = 16  # frames per encoder forward (whole segments are grouped up to it)
TIME_BUDGET_S = 8.0  # encoding time a default action may take: the 10 s rule less decoding and merging
Progress = Callable[[float, str], None]


def encoder_choices() -> list[str]:
    """Names of the frame encoders the tab offers (bundled first, then the hub towers: CLIP, SigLIP 2, DINOv2)."""
    specs = list_models(task="frame-encoder")
    ours = [s.name for s in specs if s.family in ("frame-vit", *TOWER_FAMILIES)]
    return sorted(ours, key=lambda name: (get_spec(name).source != "bundled", name))


def default_frames(model: str) -> int:
    """Frames the tab samples by default with `model`: LongVLM's 100 for the bundled encoder, fewer for the big
    pretrained towers so the default action stays under ~10 s (DEFAULT_FRAMES_BY_MODEL, the counts for a 2-core
    CPU with native bfloat16), and fewer still where this machine is slower: on a CPU without bfloat16 the towers
    run in float32, 2-3x slower, so the count is cut to what fits TIME_BUDGET_S by lib.models.speed's estimate
    (whole segments at the tab's default of DEFAULT_SEGMENTS; where not even one frame per segment fits, one frame
    for each of fewer segments, at least MIN_FRAMES: default_segments). More frames remain a slider away, with
    time_estimate saying the cost first."""
    frames = DEFAULT_FRAMES_BY_MODEL.get(model)
    if frames is None:
        return DEFAULT_FRAMES
    fitting = fitting_inputs(model, TIME_BUDGET_S)
    if fitting < DEFAULT_SEGMENTS:  # CLIP-L/14 in float32 on 2 cores: ~3 frames fit 8 s
        return max(MIN_FRAMES, fitting)
    return min(frames, fitting // DEFAULT_SEGMENTS * DEFAULT_SEGMENTS)


def default_segments(model: str) -> int:
    """Segments of a default action with `model`: DEFAULT_SEGMENTS, or one per frame where fewer frames fit."""
    return min(DEFAULT_SEGMENTS, default_frames(model))


def time_estimate(model: str, num_frames: int) -> str:
    """One line saying how long encoding `num_frames` frames with `model` takes here ("" for bundled models)."""
    if get_spec(model).gflops_per_input is None:
        return ""
    return estimate_seconds(model, num_frames).sentence(f"{num_frames} frames")


def check_settings(total_frames: int, num_frames: int, num_segments: int, tokens_per_segment: int,
                   patches_per_frame: int, num_global: int) -> int:
    """Refuse impossible settings with a sentence; returns the frames per segment."""
    if total_frames < 2:
        raise UserInputError("This video has only one frame; token merging over time needs a video with at least "
                             "2 frames.")
    if num_segments < 1 or num_frames < 1:
        raise UserInputError("Use at least 1 segment and 1 frame.")
    if num_segments > num_frames:
        raise UserInputError(f"More segments ({num_segments}) than frames ({num_frames}): every segment needs at "
                             "least one frame. Lower the number of segments or sample more frames.")
    if num_global < 0:
        raise UserInputError("The number of global tokens cannot be negative.")
    per_segment = num_frames // num_segments
    available = per_segment * patches_per_frame
    if not 1 <= tokens_per_segment <= available:
        raise UserInputError(f"Target of {tokens_per_segment} tokens per segment is outside 1..{available}: a "
                             f"segment of {per_segment} frames has only {available} patch tokens. Lower the "
                             "target or use fewer, longer segments.")
    return per_segment


def _load(video: str | Path | Clip, num_segments: int, per_segment: int, short_side: int,
          preprocess: PreprocessConfig | None = None) -> Clip:
    """num_segments x per_segment frames: a path decoded by segments (LongVLM's bin middles), or a Clip
    subsampled uniformly.

    With `preprocess` (a pretrained tower) the frames are the checkpoint's input: each is decoded from the
    source file at full size and resized (+ centre-cropped) by its processor (224 x 224), never upscaled from
    a small copy; an in-memory Clip without a readable source is resized from its own frames. Without it
    (the bundled FrameViT) frames keep the decoded size (short side `short_side`).
    """
    if isinstance(video, Clip):
        index = np.arange(num_segments * per_segment) * video.num_frames // (num_segments * per_segment)
        clip = Clip(frames=video.frames[index], fps=video.fps, indices=video.indices[index],
                    timestamps=video.timestamps[index], original_size=video.original_size, duration=video.duration,
                    source=video.source)
        if preprocess is None:
            return clip
        if clip.source and Path(clip.source).is_file():
            return _from_source(clip.source, clip.indices, preprocess)
        return Clip(frames=resize_frames(clip.frames, preprocess), fps=clip.fps, indices=clip.indices,
                    timestamps=clip.timestamps, original_size=clip.original_size, duration=clip.duration,
                    source=clip.source)
    if preprocess is None:
        return load_clip(video, segments=(num_segments, per_segment), short_side=short_side, max_frames=2048)
    total = probe_video(video).num_frames
    return _from_source(video, segment_indices(total, num_segments, per_segment).reshape(-1), preprocess)


def _from_source(path: str | Path, indices: np.ndarray, preprocess: PreprocessConfig) -> Clip:
    return load_frames(path, indices, transform=lambda frame: resize_frames(frame[None], preprocess)[0])


def _encoder_preprocess(model: str | torch.nn.Module, encoder: torch.nn.Module) -> PreprocessConfig | None:
    """The checkpoint's processor for a catalogued tower (its preprocessor_config.json), the family's defaults
    (towers.default_preprocess) for a tower module passed in, None for the bundled FrameViT."""
    if isinstance(model, str) and get_spec(model).sampling is not None:
        return spec_preprocess_config(get_spec(model))
    return encoder_preprocess(encoder)


def _siglip_grid(model: str | torch.nn.Module, grid: tuple[int, int]) -> tuple[int, int] | None:
    """The patch grid when `model` is a SigLIP tower (it gets the budget of the video LLM built on it), else None."""
    family = get_spec(model).family if isinstance(model, str) else type(model).__name__.lower()
    return grid if family.startswith("siglip") else None


def run_token_merging(video: str | Path | Clip, *, model: str | torch.nn.Module = DEFAULT_MODEL, num_frames: int = 100,
                      num_segments: int = 10, tokens_per_segment: int = 30, num_global: int = 5,
                      metric: str = "pseudo_heads", short_side: int = 128,
                      progress: Progress | None = None) -> TokenMergingResult:
    """LongVLM's pipeline on a video file (or an in-memory Clip).

    Samples num_frames (LongVLM's bin middles) as num_segments consecutive segments (a pretrained tower gets
    them decoded from the source and prepared by its own processor: CLIP / DINOv2 short side + centre crop,
    SigLIP 2 a fixed 224 x 224 resize; `short_side` is the bundled
    FrameViT's decode size; result.frames are the frames each encoder saw), encodes each
    segment's frames, merges its F x P patch tokens to tokens_per_segment, prepends num_global global
    tokens (CLS of the last hidden states; the mean patch token of each for SigLIP, which has no CLS:
    result.global_from says which). `model` is a registry name (see encoder_choices) or an already built
    FrameViT / CLIP / SigLIP / DINOv2 tower.
    Raises UserInputError for impossible settings or unusable videos.
    """
    report = progress or (lambda fraction, message: None)
    if metric not in METRICS:
        raise UserInputError(f"Unknown similarity metric {metric!r}; choose one of {', '.join(METRICS)}.")
    timings: dict[str, float] = {}
    started = time.perf_counter()
    total = video.num_frames if isinstance(video, Clip) else probe_video(video).num_frames
    encoder = load_model(model) if isinstance(model, str) else model
    preprocess = _encoder_preprocess(model, encoder)
    _, grid, _, _ = encoder_geometry(encoder, preprocess)  # after the processor: DINOv2's grid is its input's
    per_segment = check_settings(total, num_frames, num_segments, tokens_per_segment, grid[0] * grid[1], num_global)
    report(0.02, f"decoding {num_segments * per_segment} frames")
    clip = _load(video, num_segments, per_segment, short_side, preprocess)
    timings["decode"] = time.perf_counter() - started
    # whole segments are encoded together, ENCODE_BATCH frames or a little more per forward: a segment's 4-10
    # frames alone make batches that run up to 1.3x slower per frame on a CPU (CLIP-B/16, bfloat16, 2 cores:
    # 0.18 s a frame in batches of 5, 0.14 in batches of 16); features of one group are held at a time
    group = max(1, -(-ENCODE_BATCH // per_segment))
    total_frames = num_segments * per_segment
    segments: list[SegmentMerge] = []
    cls_states: list[torch.Tensor] = []
    global_from = GLOBAL_FROM_CLS
    encode_s = merge_s = 0.0
    merge_errors, pool_errors = [], []  # per segment: how well the kept tokens stand for every patch
    for first in range(0, num_segments, group):
        last = min(first + group, num_segments)
        t0 = time.perf_counter()
        encoded = encode_frames(
            encoder, clip.frames[first * per_segment:last * per_segment], preprocess=preprocess,
            batch=group * per_segment if group > 1 else ENCODE_BATCH,
            on_batch=lambda done, _, base=first * per_segment: report(
                0.05 + 0.9 * (base + done) / total_frames, f"encoding frames {base + done}/{total_frames}, merging"))
        encode_s += time.perf_counter() - t0
        global_from = encoded.global_from
        for s in range(first, last):
            feats = encoded.frames((s - first) * per_segment, (s - first + 1) * per_segment)
            t1 = time.perf_counter()
            segments.append(merge_segment(feats.patches, tokens_per_segment, metric=metric, keys=feats.keys))
            merge_s += time.perf_counter() - t1
            original = feats.patches.reshape(-1, feats.patches.shape[-1]).float().numpy()
            merge_errors.append(relative_error(original, segments[-1].unmerge()))
            pool_errors.append(relative_error(original, pool_reconstruct(feats.patches, grid, tokens_per_segment)))
            cls_states.append(feats.cls_states)
    timings["encode"], timings["merge"] = encode_s, merge_s
    glob = global_tokens(torch.cat(cls_states), num_global).numpy()
    sequence = np.concatenate([glob] + [seg.tokens for seg in segments], axis=0)
    name = model if isinstance(model, str) else type(model).__name__
    if isinstance(model, str) and get_spec(model).gflops_per_input is not None:
        record_speed(model, inputs=len(clip.frames), seconds=encode_s)  # the encoder's rate: what TIME_BUDGET_S bounds
    report(1.0, "done")
    return TokenMergingResult(
        frames=clip.frames, timestamps=np.asarray(clip.timestamps, dtype=np.float64), segments=tuple(segments),
        global_tokens=glob, sequence=sequence, grid=grid,
        budgets=tuple(token_budgets(num_segments * per_segment, grid[0] * grid[1], num_segments,
                                    tokens_per_segment, len(glob), llava_onevision_grid=_siglip_grid(model, grid))),
        similarity=segment_similarity([seg.tokens for seg in segments]), model_name=name, metric=metric,
        duration=float(clip.duration), timings=timings, global_from=global_from,
        merge_error=float(np.mean(merge_errors)), pooling_error=float(np.mean(pool_errors)))
