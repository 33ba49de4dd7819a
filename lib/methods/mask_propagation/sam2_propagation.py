"""SAM 2 as a second way to propagate masks: the key frame's label map becomes one mask prompt per class (each
class one SAM 2 object, its id the class id), and SAM 2's memory (the last 7 frames' mask memories and up to 16
object pointers, attended to by its memory attention) carries them to every other frame.

    result = propagate_with_sam2(model, frames, key_labels, key_frame=0)   # -> Sam2Propagation
    result.labels (T, H, W); result.flops (T,); result.seconds (T,)

Unlike MPVSS, which segments key frames and warps their masks in between, SAM 2 runs its whole image encoder
(Hiera, at 1024 x 1024 whatever the clip's size) on every frame, plus memory attention per object: FLOPs per
frame grow with the number of objects and, for the first 7 frames, with the memories held.
The loop is Sam2VideoModel.propagate_in_video_iterator's (one forward per frame), written out so each frame is
timed and its FLOPs counted (torch.utils.flop_counter via lib.hooks.flops, as the tab counts MPVSS and the
segmentors). With random (rehearsed) weights the masks are meaningless: only shapes, costs and mechanics hold.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.flop_counter import flop_registry

from lib.errors import UserInputError
from lib.hooks.flops import count_flops
from lib.methods.mask_propagation.sam2_session import (
    add_mask_prompts,
    labels_from_masks,
    new_session,
    sam2_pixel_values,
    sam2_preprocess_config,
)
from lib.models.precision import inference_precision, model_device

Progress = Callable[[float, str], None]
# Switching a shared (registry-cached) model to eager attention is a change other sessions would see mid-run:
# runs that switch hold this lock (a model the registry loads eager never switches, see countable_attention).
_SWITCH_LOCK = threading.Lock()


@dataclass(frozen=True)
class Sam2Propagation:
    """SAM 2's propagation of one key frame's label map over a clip of T frames of H x W.

    labels:        (T, H, W) uint8 (int32 beyond 255) class id per pixel: the object with the highest mask logit,
                   `background` where no object's logit is positive (SAM 2's own output on the key frame too).
    object_ids:    (N,) the classes present on the key frame (background excluded), SAM 2's object ids.
    object_scores: (T, N) float32 SAM 2's object-score logits (> 0: the object is judged visible on that frame).
    flops:         (T,) FLOPs of each frame's forward (image encoder, memory attention and decoder per object,
                   memory encoder), counted by torch.utils.flop_counter (a multiply-add = 2 FLOPs).
    seconds:       (T,) wall time per frame: its share of the preprocessing, the forward, the label map (the FLOP
                   counter runs during the forward; its Python dispatch adds well under a second a frame).
    key_frame:     the prompted frame; input_size: SAM 2's input side (the clip is resized to S x S).
    precision:     what the forwards computed in ("float32" or "bfloat16").
    """

    labels: np.ndarray
    object_ids: np.ndarray
    object_scores: np.ndarray
    flops: np.ndarray
    seconds: np.ndarray
    key_frame: int
    input_size: int
    background: int
    precision: str

    @property
    def num_frames(self) -> int:
        return int(self.labels.shape[0])

    @property
    def gflops_per_frame(self) -> float:
        """Mean over the clip's frames, as MaskPropagationResult.gflops_per_frame."""
        return float(self.flops.mean() / 1e9)

    @property
    def seconds_per_frame(self) -> float:
        return float(self.seconds.mean())


def key_frame_masks(key_labels: np.ndarray, background: int = 0) -> dict[int, np.ndarray]:
    """(H, W) int label map -> {class id: (H, W) bool mask} for every class present except `background`, in id
    order. Raises UserInputError when only background is present (SAM 2 has nothing to track)."""
    labels = np.asarray(key_labels)
    if labels.ndim != 2:
        raise UserInputError(f"The key frame's label map must be (H, W), got shape {labels.shape}.")
    ids = [int(v) for v in np.unique(labels) if int(v) != int(background)]
    if not ids:
        raise UserInputError("The key frame has no object to track (only background): segment or paint one first.")
    return {i: labels == i for i in ids}


def _flops_see_fused_attention() -> bool:
    """Whether torch's FLOP counter knows the fused attention kernel CPU runs (it counts the CUDA ones only in
    torch 2.13, so on CPU a fused attention would count 0 FLOPs)."""
    return torch.ops.aten._scaled_dot_product_flash_attention_for_cpu in flop_registry


@contextlib.contextmanager
def countable_attention(model: torch.nn.Module) -> Iterator[None]:
    """Run `model` with attention its FLOPs can be counted in: eager on CPU while the counter misses CPU fused
    attention (the same math, so outputs agree to rounding), unchanged otherwise; restores the setting after."""
    before = model.config._attn_implementation
    switch = model_device(model).type == "cpu" and before != "eager" and not _flops_see_fused_attention()
    if not switch:
        yield
        return
    with _SWITCH_LOCK:
        model.config._attn_implementation = "eager"  # the setter reaches the sub-configs the attentions read
        try:
            yield
        finally:
            model.config._attn_implementation = before


def _check_inputs(frames: np.ndarray, key_labels: np.ndarray, key_frame: int) -> None:
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise UserInputError(f"Expected uint8 video frames (T, H, W, 3), got {frames.dtype} {frames.shape}.")
    if key_labels.shape != frames.shape[1:3]:
        raise UserInputError(f"The key frame's labels {key_labels.shape} must match the frames' {frames.shape[1:3]}.")
    if not 0 <= key_frame < len(frames):
        raise UserInputError(f"The key frame {key_frame} must be one of the clip's {len(frames)} frames.")


@torch.no_grad()
def propagate_with_sam2(model: torch.nn.Module, frames: np.ndarray, key_labels: np.ndarray, *, key_frame: int = 0,
                        background: int = 0, progress: Progress | None = None) -> Sam2Propagation:
    """Prompt a transformers Sam2VideoModel with `key_labels` on `key_frame` and propagate to every other frame
    (forward to the end, then backward to frame 0 when the key frame is later).

    frames: (T, H, W, 3) uint8; key_labels: (H, W) int class ids (from a segmentor or painted), `background`
    not prompted. Raises UserInputError for mismatched inputs or a key frame without objects.
    """
    frames, key_labels = np.asarray(frames), np.asarray(key_labels)
    _check_inputs(frames, key_labels, int(key_frame))
    masks = key_frame_masks(key_labels, background)
    report = progress or (lambda *_: None)
    t_total, size = len(frames), frames.shape[1:3]
    config = sam2_preprocess_config(model)
    start = time.perf_counter()
    pixels = sam2_pixel_values(frames, config)  # (T, 3, S, S)
    prep_share = (time.perf_counter() - start) / t_total
    device = model_device(model)
    session = new_session(pixels.to(device), size, device)
    add_mask_prompts(session, model, int(key_frame), masks)
    object_ids = np.array(list(masks), dtype=np.int64)
    labels = np.zeros((t_total, *size), np.uint8 if max(object_ids.max(), background) < 256 else np.int32)
    scores = np.zeros((t_total, len(object_ids)), np.float32)
    flops, seconds = np.zeros(t_total, np.int64), np.zeros(t_total)
    forward = [(t, False) for t in range(int(key_frame), t_total)]
    order = forward + [(t, True) for t in range(int(key_frame) - 1, -1, -1)]  # then back to frame 0
    model.eval()
    with countable_attention(model), inference_precision(device) as precision:
        for i, (t, reverse) in enumerate(order):
            report(i / len(order), f"SAM 2, frame {t + 1} of {t_total}")
            begin = time.perf_counter()
            out: list = []
            flops[t] = count_flops(lambda: out.append(model(inference_session=session, frame_idx=t,
                                                             reverse=reverse))).total
            labels[t] = labels_from_masks(out[0].pred_masks, object_ids, size, background)
            seconds[t] = time.perf_counter() - begin + prep_share
            scores[t] = out[0].object_score_logits.float().reshape(-1).cpu().numpy()
    report(1.0, "done")
    return Sam2Propagation(labels=labels, object_ids=object_ids, object_scores=scores, flops=flops, seconds=seconds,
                           key_frame=int(key_frame), input_size=int(config.input_size[0]), background=int(background),
                           precision=precision.name)
