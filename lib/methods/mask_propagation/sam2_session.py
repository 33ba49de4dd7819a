"""SAM 2's video inputs and outputs, set up in project code: its processors import torchvision (CHECKPOINTS.md
section 9), which does not work here, so this module does what Sam2VideoProcessor does for a mask prompt.

    config = sam2_preprocess_config(model)              # 1024 x 1024 (the model's image_size), ImageNet mean/std
    pixels = sam2_pixel_values(frames, config)          # (T, 3, S, S), as Sam2VideoVideoProcessor makes them
    session = new_session(pixels, (H, W), device)       # transformers' Sam2VideoInferenceSession
    add_mask_prompts(session, model, frame_idx, {obj_id: (H, W) bool mask})
    labels = labels_from_masks(out.pred_masks, object_ids, (H, W))   # argmax over objects, 0 where none is positive

Steps follow transformers 5.23 sam2_video (processing_sam2_video.py: init_video_session,
process_new_mask_for_video_frame, post_process_masks; video_processing_sam2_video.py), re-written for one clip.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch
import torch.nn.functional as F

from lib.models.preprocess import PreprocessConfig, preprocess_config, preprocess_frames

HUB_ID = "facebook/sam2.1-hiera-tiny"
MASK_THRESHOLD = 0.0  # post_process_masks' default: a pixel belongs to an object where its logit is > 0


def sam2_preprocess_config(model: torch.nn.Module, location: str = HUB_ID) -> PreprocessConfig:
    """How SAM 2 gets its frames: the checkpoint's preprocessor_config.json (mean/std, bilinear, 1/255; the cached
    hub file, else the copy in assets/hub_configs) with the model's own square input size (1024 for the real
    checkpoint; a tiny test model's size otherwise), resized without keeping the aspect ratio, and with torch's
    antialiased interpolation of uint8 frames, as the torchvision path of Sam2VideoVideoProcessor does."""
    side = int(model.config.image_size)
    base = preprocess_config(location, family="sam2", image_size=side)
    return dataclasses.replace(base, size=(side, side), resize=(side, side), crop=False, resize_backend="torch")


def sam2_pixel_values(frames: np.ndarray, config: PreprocessConfig) -> torch.Tensor:
    """(T, H, W, 3) uint8 -> (T, 3, S, S) float32 normalised (SAM 2 upsamples small frames: 128 px -> 1024)."""
    return preprocess_frames(frames, config)


def new_session(pixel_values: torch.Tensor, size: tuple[int, int], device: torch.device | str = "cpu"):
    """A Sam2VideoInferenceSession over a whole clip (what init_video_session builds from its processed video).

    pixel_values: (T, 3, S, S) float32; size: (H, W) of the clip's frames, where masks are returned."""
    from transformers.models.sam2_video.modeling_sam2_video import Sam2VideoInferenceSession

    return Sam2VideoInferenceSession(video=pixel_values, video_height=int(size[0]), video_width=int(size[1]),
                                     inference_device=device, inference_state_device=device,
                                     video_storage_device=device, dtype=torch.float32)


def prompt_mask(mask: np.ndarray, side: int) -> torch.Tensor:
    """(H, W) bool -> (1, 1, side, side) float {0, 1}: process_new_mask_for_video_frame's resize (bilinear,
    antialiased) and its threshold at 0.5."""
    m = torch.from_numpy(np.ascontiguousarray(mask, dtype=bool)).float()[None, None]
    if tuple(m.shape[-2:]) == (side, side):
        return m
    m = F.interpolate(m, size=(side, side), mode="bilinear", align_corners=False, antialias=True)
    return (m >= 0.5).float()


def add_mask_prompts(session, model: torch.nn.Module, frame_idx: int, masks: dict[int, np.ndarray]) -> None:
    """Prompt SAM 2 on `frame_idx` with one mask per object id (masks: obj_id -> (H, W) bool), as
    Sam2VideoProcessor.add_inputs_to_inference_session(input_masks=...) does: any point inputs of that frame are
    dropped, and these objects are marked as having new inputs for the next forward."""
    side = int(model.config.image_size)
    for obj_id, mask in masks.items():
        obj_idx = session.obj_id_to_idx(int(obj_id))
        session.add_mask_inputs(obj_idx, int(frame_idx), prompt_mask(mask, side))
        session.remove_point_inputs(obj_idx, int(frame_idx))
    session.obj_with_new_inputs = [int(i) for i in masks]


def mask_logits_on_grid(pred_masks: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, 1, h, w) low-res mask logits (256 x 256 for the real model) -> (N, H, W) float32 logits on the clip's
    grid: Sam2ImageProcessor.post_process_masks(binarize=False), one bilinear resize."""
    logits = F.interpolate(pred_masks.float(), size=tuple(int(s) for s in size), mode="bilinear",
                           align_corners=False)
    return logits[:, 0]


def labels_from_masks(pred_masks: torch.Tensor, object_ids: np.ndarray, size: tuple[int, int],
                      background: int = 0) -> np.ndarray:
    """(N, 1, h, w) mask logits of objects `object_ids` (N,) -> (H, W) label map: the id of the object with the
    highest logit, `background` where no object's logit is positive."""
    logits = mask_logits_on_grid(pred_masks, size)  # (N, H, W)
    best, owner = logits.max(0)
    ids = torch.as_tensor(np.asarray(object_ids, dtype=np.int64))
    labels = torch.where(best > MASK_THRESHOLD, ids[owner], torch.full_like(owner, int(background))).numpy()
    return labels.astype(np.uint8 if labels.max(initial=0) < 256 and background < 256 else np.int32)
