"""Data, per-step losses and held-out scores for the two training scripts of the tab's bundled models:
scripts/train_query_segmentor.py (the key-frame segmentor) and scripts/train_mpvss_flow.py (the motion module).

Robust training data (the app feeds compressed, rescaled video, not clean renders): each clip is rendered at
128 px or, with probability `render_2x`, at 256 px and area-shrunk to 128 px like the app's loader, then
degraded once per clip (degrade.py: colour jitter, blur, noise, an H.264 or JPEG round trip).
The step generators yield one loss per step for lib.training.fit, drawing their random numbers in the order
the hand-written loops did, so the scripts reproduce the committed weights. Losses are in losses.py.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from lib.methods.mask_propagation.data import CLIP_CONFIG, backward_flows, held_out_seeds, toy_clip
from lib.methods.mask_propagation.degrade import (
    Degradation,
    DegradeConfig,
    apply_degradation,
    area_resize,
    draw_degradation,
    h264_round_trip,
    nearest_resize_labels,
)
from lib.methods.mask_propagation.flow_model import MPVSSFlow
from lib.methods.mask_propagation.losses import endpoint_error, semantic_nll, semantic_targets, set_loss
from lib.methods.mask_propagation.metrics import mean_iou
from lib.methods.mask_propagation.segmentor_model import QuerySegmentor, semantic_probs
from lib.methods.mask_propagation.segmentors import frames_to_tensor
from lib.methods.mask_propagation.warp import warp
from lib.toyworld import CLASS_NAMES
from lib.toyworld.clips import build_clip_scene
from lib.toyworld.render import render

APP_CRF = 18           # scripts/make_examples.py writes the example clips at this quality
APP_RENDER_SIZE = 256  # ... at this size; the tab shrinks them to 128 (task.CLIP_SHORT_SIDE)
KEYS = (0, 10, 20)     # key frames of each motion-module training clip
MAX_GAP = 9            # current frames 1..9 after each key


# --- the key-frame segmentor ---------------------------------------------------------------------------------

def build_dataset(seeds: list[int], frames_per_clip: int) -> tuple[np.ndarray, np.ndarray]:
    """Clean frames: (N, H, W, 3) uint8 frames and (N, H, W) uint8 class maps, spread evenly over each clip."""
    images, labels = [], []
    for seed in seeds:
        clip = toy_clip(seed)
        idx = np.linspace(0, clip.num_frames - 1, frames_per_clip).round().astype(int)
        images.append(clip.frames[idx])
        labels.append(clip.semantic[idx])
    return np.concatenate(images), np.concatenate(labels)


def render_frames(seed: int, scale: int, frames: np.ndarray, off_colour: float) -> tuple[np.ndarray, np.ndarray]:
    """Frames `frames` of toy clip `seed` rendered at scale x 128 px: (n, S, S, 3) uint8 and (n, S, S) classes."""
    config = replace(CLIP_CONFIG, height=CLIP_CONFIG.height * scale, width=CLIP_CONFIG.width * scale,
                     off_colour_prob=off_colour)
    scene, _ = build_clip_scene(seed, config)
    shots = [render(scene, int(t)) for t in frames]
    return np.stack([s.image for s in shots]), np.stack([s.semantic for s in shots])


def degraded_clip(seed: int, frames_per_clip: int, render_2x: float, degrade: DegradeConfig | None,
                  off_colour: float, salt: int) -> tuple[np.ndarray, np.ndarray, Degradation]:
    """One clip's frames at 128 px after a seeded random render size and degradation (rng from (seed, salt)).

    Frames are every other frame of the 32 (12.5 fps, as the app samples), so an H.264 round trip sees
    real consecutive motion; `frames_per_clip` of them, evenly spread, are kept.
    """
    rng = np.random.default_rng([seed, salt])
    scale = 2 if rng.random() < render_2x else 1
    params = draw_degradation(rng, degrade) if degrade is not None else Degradation()
    run = np.arange(0, CLIP_CONFIG.num_frames, 2)
    keep = np.linspace(0, len(run) - 1, frames_per_clip).round().astype(int)
    needed = run if params.h264_crf is not None else run[keep]  # the codec needs the whole run
    images, semantic = render_frames(seed, scale, needed, off_colour)
    size = (CLIP_CONFIG.height, CLIP_CONFIG.width)
    images = apply_degradation(images, params, rng, size=size)
    if params.h264_crf is not None:
        images, semantic = images[keep], semantic[keep]
    return images, nearest_resize_labels(semantic, *size), params


def build_robust_dataset(seeds: list[int], frames_per_clip: int, render_2x: float, degrade: DegradeConfig | None,
                         off_colour: float, salt: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Degraded training frames (N, 128, 128, 3) uint8 and class maps (N, 128, 128) uint8 (see degraded_clip)."""
    images, labels = [], []
    for seed in seeds:
        x, y, _ = degraded_clip(seed, frames_per_clip, render_2x, degrade, off_colour, salt)
        images.append(x)
        labels.append(y)
    return np.concatenate(images), np.concatenate(labels)


def build_app_like(seeds: list[int], frames_per_clip: int) -> tuple[np.ndarray, np.ndarray]:
    """Held-out frames as the tab sees the examples: 256 px render -> H.264 (CRF 18, 25 fps) -> decoded at
    12.5 fps, short side 128 (lib.video.load_clip, area averaging); class maps nearest-resized."""
    images, labels = [], []
    config = replace(CLIP_CONFIG, height=APP_RENDER_SIZE, width=APP_RENDER_SIZE)
    for seed in seeds:
        clip = toy_clip(seed, config)
        decoded = h264_round_trip(clip.frames, APP_CRF, fps=clip.fps)[::2]  # 25 fps file, 12.5 fps sampling
        keep = np.linspace(0, len(decoded) - 1, frames_per_clip).round().astype(int)
        images.append(area_resize(decoded[keep], CLIP_CONFIG.height, CLIP_CONFIG.width))
        labels.append(nearest_resize_labels(clip.semantic[::2][keep], CLIP_CONFIG.height, CLIP_CONFIG.width))
    return np.concatenate(images), np.concatenate(labels)


def segmentor_steps(model: QuerySegmentor, images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *,
                    steps: int, batch: int, crop: int) -> Iterator[torch.Tensor]:
    """One Mask2Former set loss per step (deep supervision on every decoder layer) on random crops and flips.

    images (N, H, W, 3) uint8, labels (N, H, W): the training frames; rng draws picks, crops and flips.
    """
    model.train()
    for _ in range(steps):
        pick = rng.integers(0, len(images), batch)
        # Random crops keep the object scale of full frames but cost 4x less (a shared 2-core CPU).
        oy, ox = rng.integers(0, images.shape[1] - crop + 1), rng.integers(0, images.shape[2] - crop + 1)
        x = torch.from_numpy(images[pick, oy:oy + crop, ox:ox + crop]).permute(0, 3, 1, 2).float() / 255
        y = torch.from_numpy(labels[pick, oy:oy + crop, ox:ox + crop])
        if rng.random() < 0.5:  # horizontal flip: shapes are symmetric, positions are not
            x, y = x.flip(-1), y.flip(-1)
        out = model(x)
        targets = semantic_targets(y, model.num_classes, out.mask_logits.shape[-2:])
        loss = set_loss(out.class_logits, out.mask_logits, targets)
        for cls, masks in out.aux:
            loss = loss + set_loss(cls, masks, targets)
        yield loss


@torch.no_grad()
def score(model: QuerySegmentor, images: np.ndarray, labels: np.ndarray) -> float:
    """mIoU over all frames (accumulated confusion)."""
    model.eval()
    preds = []
    for i in range(0, len(images), 32):
        x = torch.from_numpy(images[i:i + 32]).permute(0, 3, 1, 2).float() / 255
        out = model(x)
        preds.append(semantic_probs(out.class_logits, out.mask_logits, x.shape[-2:]).argmax(1).numpy())
    return mean_iou(np.concatenate(preds), labels, len(CLASS_NAMES))


def held_out_report(model: QuerySegmentor, clips: int = 40, frames_per_clip: int = 8) -> str:
    """Held-out mIoU on clean renders, as the app loads the examples, and after the training degradations."""
    seeds = held_out_seeds(clips)
    clean = score(model, *build_dataset(seeds, frames_per_clip))
    app = score(model, *build_app_like(seeds, frames_per_clip))
    degraded = score(model, *build_robust_dataset(seeds, frames_per_clip, 0.0, DegradeConfig(),
                                                  CLIP_CONFIG.off_colour_prob, salt=2))
    return (f"held-out mIoU ({clips} clips x {frames_per_clip} frames, seeds {seeds[0]}+): clean {clean:.4f}, "
            f"as the app loads them (256 px, H.264 CRF {APP_CRF}, shrunk to 128) {app:.4f}, degraded {degraded:.4f}")


# --- the MPVSS motion module -----------------------------------------------------------------------------------

def clip_frames(seed: int, render_2x: float, degrade: DegradeConfig | None, salt: int = 1):
    """A training clip (ToyClip at 128 or 256 px), its config, its frames at 128 px after a seeded degradation,
    and the render scale (1 or 2)."""
    rng = np.random.default_rng([seed, salt])
    scale = 2 if rng.random() < render_2x else 1
    params = draw_degradation(rng, degrade) if degrade is not None else Degradation()
    config = replace(CLIP_CONFIG, height=CLIP_CONFIG.height * scale, width=CLIP_CONFIG.width * scale)
    clip = toy_clip(seed, config)
    frames = apply_degradation(clip.frames, params, rng, size=(CLIP_CONFIG.height, CLIP_CONFIG.width), fps=clip.fps)
    return clip, config, frames, scale


@torch.no_grad()
def build_pairs(segmentor: QuerySegmentor, seeds: list[int], render_2x: float = 0.0,
                degrade: DegradeConfig | None = None) -> dict[str, torch.Tensor]:
    """(key, current) pairs: current frames (P, 3, H, W), key_index (P,) into the key frames (K, 3, H, W),
    cached frozen-segmentor outputs of the keys, stride-4 labels (P, h4, w4) and stride-8 exact flows."""
    cur, key_idx, sem, flows, keys, cls, masks, queries = [], [], [], [], [], [], [], []
    for seed in seeds:
        clip, config, frames, scale = clip_frames(seed, render_2x, degrade)
        key_frames = frames_to_tensor(frames[list(KEYS)])
        out = segmentor(key_frames)
        pairs = [(k + d, j) for j, k in enumerate(KEYS) for d in range(1, MAX_GAP + 1) if k + d < clip.num_frames]
        exact = backward_flows(seed, config, clip.instance, [(t, KEYS[j]) for t, j in pairs])
        stride = 8 * scale  # the flow grid is 1/8 of the 128 px frames
        small = F.interpolate(torch.from_numpy(exact).permute(0, 3, 1, 2), scale_factor=1 / stride, mode="area")
        small = small / stride
        for n, (t, j) in enumerate(pairs):
            cur.append(frames[t])
            key_idx.append(sum(len(k) for k in keys) + j)
            sem.append(clip.semantic[t, 2 * scale::4 * scale, 2 * scale::4 * scale])  # stride-4 grid of 128 px
            flows.append(small[n])
        keys.append(key_frames)
        cls.append(out.class_logits)
        masks.append(out.mask_logits)
        queries.append(out.queries)
    return {"current": frames_to_tensor(np.stack(cur)), "key_index": torch.tensor(key_idx),
            "semantic": torch.from_numpy(np.stack(sem)).long(), "flow": torch.stack(flows),
            "key": torch.cat(keys), "class_logits": torch.cat(cls), "mask_logits": torch.cat(masks),
            "queries": torch.cat(queries)}


def flow_losses(model: MPVSSFlow, data: dict[str, torch.Tensor], pick: torch.Tensor) -> dict[str, torch.Tensor]:
    """The motion module's losses on pairs `pick`: warped-mask NLL ("mask"), pixel-flow end-point error, each
    query's flow error where its key mask lands in frame t (key mask moved by the exact flow), and with a
    refiner the cross-entropy of the refined class logits ("refined")."""
    k = data["key_index"][pick]
    out = model(data["current"][pick], data["key"][k], data["queries"][k])
    b, q, _, h, w = out.query_flow.shape
    key_masks = data["mask_logits"][k]  # (B, Q, h4, w4)
    warped = warp(key_masks.reshape(b * q, 1, *key_masks.shape[-2:]), out.query_flow.reshape(b * q, 2, h, w))
    scores = semantic_probs(data["class_logits"][k], warped.view(b, q, *key_masks.shape[-2:]))
    target = data["flow"][pick]  # (B, 2, h, w)
    with torch.no_grad():
        landed = warp(key_masks.reshape(b * q, 1, *key_masks.shape[-2:]), target.repeat_interleave(q, 0))
        weight = F.interpolate(landed.sigmoid(), size=(h, w), mode="area").view(b * q, h, w)
    parts = {"mask": semantic_nll(scores, data["semantic"][pick]),
             "pixel_epe": endpoint_error(out.pixel_flow, target),
             "query_epe": endpoint_error(out.query_flow.reshape(b * q, 2, h, w), target.repeat_interleave(q, 0),
                                         weight)}
    if model.refiner is not None:  # the refined prediction, scored like the warped one
        logits = model.refine(scores, out.features, data["current"][pick])
        parts["refined"] = F.cross_entropy(logits, data["semantic"][pick])
    return parts


def flow_steps(model: MPVSSFlow, data: dict[str, torch.Tensor], generator: torch.Generator, *, steps: int,
               batch: int, epe_weight: float = 0.2) -> Iterator[tuple[torch.Tensor, dict[str, float]]]:
    """One loss per step on `batch` random pairs: mask (+ refined) + epe_weight x (pixel EPE + query EPE),
    with its parts."""
    model.train()
    for _ in range(steps):
        pick = torch.randint(0, len(data["current"]), (batch,), generator=generator)
        parts = flow_losses(model, data, pick)
        loss = parts["mask"] + parts.get("refined", 0.0) + epe_weight * (parts["pixel_epe"] + parts["query_epe"])
        yield loss, {name: value.item() for name, value in parts.items()}
