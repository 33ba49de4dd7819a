"""Tubes tab / notebook: run a TubeViT on a clip and lay the analysed tubes out on the clip's own shape.

    result = run_tubes("clip.mp4")                      # a path (decoded here) or a Clip: model + paper tubes
    result = run_tubes_on_frames(frames)                # (T, H, W, 3) uint8 frames already in memory
    result = update_tubes(result, [TubeSpec(...), ...])  # user-edited tubes: geometry and costs only
    gflops = count_tube_flops(result)                   # forward GFLOPs of the model on its own input

The pictures of a result are drawn in render.py (the face lib.methods.tubes re-exports both).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from lib.errors import UserInputError
from lib.methods.tubes.cost import EncoderSize, TokeniserCost, compare_tokenisers
from lib.methods.tubes.geometry import PAPER_TUBES, TubeLayout, TubeSpec, tube_layout, tubes_from_lists
from lib.methods.tubes.position import sincos_3d
from lib.methods.tubes.result import TubesResult
from lib.models.precision import inference_precision, model_device
from lib.video import Clip

DEFAULT_MODEL = "tubevit-tiny-toy"
INFLATED_MODEL = "tubevit-b-from-vit-in1k"  # built from the registry's ViT-B/16, not a registry entry itself
HUB_VIT = "vit-b16-in1k"
TUBE_MODELS = ("tubevit-tiny-toy", "vivit-dense-tiny-toy", INFLATED_MODEL)


@functools.lru_cache(maxsize=2)
def _inflated_vit_b() -> torch.nn.Module:
    from lib.methods.tubes.hub import tubevit_from_vit
    from lib.models import load_model

    return tubevit_from_vit(load_model(HUB_VIT)).to(next(load_model(HUB_VIT).parameters()).device)


def load_tube_model(name: str) -> torch.nn.Module:
    """A bundled tube model from the registry, or TubeViT-B inflated from the registry's ViT-B/16 (cached).

    Raises UserInputError for other names and ModelUnavailableError when weights cannot be had (offline hub).
    """
    from lib.models import load_model

    if name not in TUBE_MODELS:
        raise UserInputError(f"Choose one of the tube models: {', '.join(TUBE_MODELS)}.")
    return _inflated_vit_b() if name == INFLATED_MODEL else load_model(name)


def _centre_crop(height: int, width: int, aspect: float) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the largest centred box of aspect width/height = aspect."""
    if width / height > aspect:
        w = int(round(height * aspect))
        return 0, height, (width - w) // 2, (width - w) // 2 + w
    h = int(round(width / aspect))
    return (height - h) // 2, (height - h) // 2 + h, 0, width


def _analysis(frames: np.ndarray, tubes: Sequence[TubeSpec], encoder: EncoderSize, patch: int
              ) -> tuple[TubeLayout, tuple[TokeniserCost, ...], np.ndarray]:
    layout = tube_layout(frames.shape[:3], tubes)
    costs = compare_tokenisers(frames.shape[:3], tubes, patch=patch, size=encoder)
    return layout, costs, sincos_3d(layout.centres, encoder.dim)


def run_tubes(video: str | Path | Clip, *, model_name: str = DEFAULT_MODEL, tubes: Sequence[TubeSpec] | None = None,
              num_frames: int = 32, short_side: int = 224, patch: int = 16,
              encoder: EncoderSize = EncoderSize()) -> TubesResult:
    """Run `model_name` on `video` and lay out `tubes` on the clip's shape.

    video: a file (decoded here: `num_frames` frames, short side `short_side`) or a Clip, used as decoded.
    Tubes default to the paper's four; costs and position codes use `encoder` (ViT-B). Raises UserInputError
    for a clip the tubes do not fit and for unknown models; ModelUnavailableError when weights are missing.
    """
    from lib.video import load_clip

    clip = video if isinstance(video, Clip) else load_clip(video, num_frames=num_frames, short_side=short_side)
    return run_tubes_on_frames(clip.frames, model_name=model_name, tubes=tubes, patch=patch, encoder=encoder,
                               model_frames=_hub_model_frames(clip, model_name))


def _hub_model_frames(clip: Clip, model_name: str) -> np.ndarray | None:
    """TubeViT-B's frames at the ViT-B/16 checkpoint's short side (224, catalog sampling), decoded again from
    the clip's source when the analysed copy is smaller, so the model never sees an upscaled frame; None
    otherwise (the analysed frames are used)."""
    from lib.models import get_spec
    from lib.video import load_frames

    if model_name != INFLATED_MODEL or not clip.source or not Path(clip.source).is_file():
        return None
    short_side = get_spec(HUB_VIT).sampling.short_side
    if min(clip.frames.shape[1:3]) >= short_side:
        return None
    return load_frames(clip.source, clip.indices, short_side=short_side).frames


def run_tubes_on_frames(frames: np.ndarray, *, model_name: str = DEFAULT_MODEL,
                        tubes: Sequence[TubeSpec] | None = None, patch: int = 16,
                        encoder: EncoderSize = EncoderSize(), model_frames: np.ndarray | None = None) -> TubesResult:
    """run_tubes on (T, H, W, 3) uint8 frames already in memory (e.g. synthetic clips in tests).
    model_frames: the same T frames at a higher resolution for the model's input (TubeViT-B: short side 224)."""
    from lib.methods.tubes.model import video_input

    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3:
        raise UserInputError(f"Expected frames shaped (T, H, W, 3); got {frames.shape}.")
    layout, costs, position = _analysis(frames, tuple(tubes or PAPER_TUBES), encoder, patch)
    model = load_tube_model(model_name)
    t, h, w = model.input_shape
    crop = _centre_crop(frames.shape[1], frames.shape[2], w / h)
    # TubeViT-B (pretrained ViT-B weights) runs in lib.models.precision's choice (bfloat16 on CPUs that have it);
    # the bundled models stay float32
    precision = (inference_precision(model_device(model)) if model_name == INFLATED_MODEL
                 else contextlib.nullcontext())
    with torch.no_grad(), precision:
        pixels = video_input(frames if model_frames is None else model_frames, model)  # (1, 3, T, H, W)
        out = model.forward_features(pixels.to(next(model.parameters()).device))
    picks = np.floor((np.arange(t) + 0.5) * len(frames) / t).astype(int)  # as video_input picks frames
    return TubesResult(frames=frames, layout=layout, costs=costs, encoder=encoder, position=position,
                       model_name=model_name, class_names=tuple(model.class_names),
                       probabilities=out.logits.float().softmax(-1)[0].cpu().numpy(), model_layout=out.layout,
                       kernels=tuple(model.kernels()), pool_weights=out.pool_weights[0].float().cpu().numpy(),
                       crop=crop, model_frames=picks, head_trained=getattr(model, "head_trained", True))


def count_tube_flops(result: TubesResult) -> float:
    """Forward GFLOPs (torch FlopCounterMode) of result's model on its own input made from result.frames."""
    from lib.hooks import count_model_flops
    from lib.methods.tubes.model import video_input

    model = load_tube_model(result.model_name)
    return count_model_flops(model, video_input(result.frames, model).to(next(model.parameters()).device)).gflops


def update_tubes(result: TubesResult, tubes: Sequence[TubeSpec] | Sequence[Sequence[Sequence[int]]],
                 *, patch: int = 16) -> TubesResult:
    """The same result with another tube list analysed (geometry, costs, codes); the model is not re-run."""
    specs = tuple(t if isinstance(t, TubeSpec) else tubes_from_lists([t])[0] for t in tubes)
    layout, costs, position = _analysis(result.frames, specs, result.encoder, patch)
    return dataclasses.replace(result, layout=layout, costs=costs, position=position)
