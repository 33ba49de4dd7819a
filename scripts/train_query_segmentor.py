"""Train the bundled query segmentor (assets/models/query-segmentor-tiny-toy) on toy-world frames.

Seeded and deterministic on CPU: `python scripts/train_query_segmentor.py` reproduces the committed
weights and prints the held-out mIoU (toy-world seeds never used in training) on three versions of the
held-out frames: clean 128 px renders; "as the app loads them" (rendered at 256 px, H.264 at CRF 18 as
scripts/make_examples.py writes the examples, decoded and area-shrunk to 128 px by lib.video.load_clip at
12.5 fps); and "degraded" (the same 128 px scenes as "clean" after the training degradations, drawn with
held-out seeds). The 256 px renders are other scenes than the 128 px ones of the same seed.

Robust training data (the app feeds compressed, rescaled video, not clean renders): each training clip is
rendered at 128 px or, with probability --render-2x, at 256 px and area-shrunk to 128 px like the app's
loader; lib.methods.mask_propagation.degrade then draws one degradation per clip (colour jitter that keeps class colour
families, blur, noise, an H.264 or JPEG round trip) and shows --grey of the clips without colour: off-colour
objects (toy world: 15%) are the segmentor's main error, and colourless clips make it learn shape.
`--eval-only DIR` prints the three held-out scores of saved weights and trains nothing.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from lib.methods.mask_propagation.data import CLIP_CONFIG, held_out_seeds, toy_clip, train_seeds
from lib.methods.mask_propagation.degrade import (
    Degradation,
    DegradeConfig,
    apply_degradation,
    area_resize,
    draw_degradation,
    nearest_resize_labels,
)
from lib.methods.mask_propagation.losses import semantic_targets, set_loss
from lib.methods.mask_propagation.metrics import mean_iou
from lib.methods.mask_propagation.segmentor_model import QuerySegmentor, semantic_probs
from lib.models.bundled import save_bundled
from lib.toyworld import CLASS_NAMES
from lib.toyworld.clips import build_clip_scene
from lib.toyworld.render import render

OUT = "assets/models/query-segmentor-tiny-toy"
APP_CRF = 18          # scripts/make_examples.py writes the example clips at this quality
APP_RENDER_SIZE = 256  # ... at this size; the tab shrinks them to 128 (lib.methods.mask_propagation.task)


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
    from lib.methods.mask_propagation.degrade import h264_round_trip

    images, labels = [], []
    config = replace(CLIP_CONFIG, height=APP_RENDER_SIZE, width=APP_RENDER_SIZE)
    for seed in seeds:
        clip = toy_clip(seed, config)
        decoded = h264_round_trip(clip.frames, APP_CRF, fps=clip.fps)[::2]  # 25 fps file, 12.5 fps sampling
        keep = np.linspace(0, len(decoded) - 1, frames_per_clip).round().astype(int)
        images.append(area_resize(decoded[keep], CLIP_CONFIG.height, CLIP_CONFIG.width))
        labels.append(nearest_resize_labels(clip.semantic[::2][keep], CLIP_CONFIG.height, CLIP_CONFIG.width))
    return np.concatenate(images), np.concatenate(labels)


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


def evaluate(model: QuerySegmentor, seeds: list[int], frames_per_clip: int = 8) -> float:
    """mIoU over all frames of the clean held-out clips (accumulated confusion)."""
    return score(model, *build_dataset(seeds, frames_per_clip))


def held_out_report(model: QuerySegmentor, clips: int = 40, frames_per_clip: int = 8) -> str:
    seeds = held_out_seeds(clips)
    clean = evaluate(model, seeds, frames_per_clip)
    app = score(model, *build_app_like(seeds, frames_per_clip))
    degraded = score(model, *build_robust_dataset(seeds, frames_per_clip, 0.0, DegradeConfig(),
                                                  CLIP_CONFIG.off_colour_prob, salt=2))
    return (f"held-out mIoU ({clips} clips x {frames_per_clip} frames, seeds {seeds[0]}+): clean {clean:.4f}, "
            f"as the app loads them (256 px, H.264 CRF {APP_CRF}, shrunk to 128) {app:.4f}, degraded {degraded:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--clips", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--render-2x", type=float, default=0.5, help="share of clips rendered at 256 px and shrunk")
    parser.add_argument("--off-colour", type=float, default=CLIP_CONFIG.off_colour_prob,
                        help="chance an object ignores its class colours")
    parser.add_argument("--no-degrade", action="store_true", help="no blur / noise / codec / colour jitter")
    parser.add_argument("--grey", type=float, default=0.2,
                        help="share of clips shown without colour, so shape has to carry the class")
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--eval-only", metavar="DIR", help="print the held-out scores of saved weights and exit")
    parser.add_argument("--eval-clips", type=int, default=40, help="held-out clips scored (8 frames each)")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # one thread: far faster than two on a busy shared CPU
    if args.eval_only:
        print(held_out_report(QuerySegmentor.from_pretrained(args.eval_only), args.eval_clips), flush=True)
        return
    rng = np.random.default_rng(args.seed)
    start = time.time()
    degrade = None if args.no_degrade else DegradeConfig(grey_prob=args.grey)
    images, labels = build_robust_dataset(train_seeds(args.clips), 6, args.render_2x, degrade, args.off_colour)
    print(f"dataset: {len(images)} frames from {args.clips} clips in {time.time() - start:.0f} s", flush=True)
    model = QuerySegmentor(num_classes=len(CLASS_NAMES), class_names=list(CLASS_NAMES))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=args.steps, pct_start=0.05)
    model.train()
    for step in range(args.steps):
        pick = rng.integers(0, len(images), args.batch)
        # Random crops keep the object scale of full frames but cost 4x less (a shared 2-core CPU).
        oy, ox = rng.integers(0, images.shape[1] - args.crop + 1), rng.integers(0, images.shape[2] - args.crop + 1)
        x = torch.from_numpy(images[pick, oy:oy + args.crop, ox:ox + args.crop]).permute(0, 3, 1, 2).float() / 255
        y = torch.from_numpy(labels[pick, oy:oy + args.crop, ox:ox + args.crop])
        if rng.random() < 0.5:  # horizontal flip: shapes are symmetric, positions are not
            x, y = x.flip(-1), y.flip(-1)
        out = model(x)
        targets = semantic_targets(y, model.num_classes, out.mask_logits.shape[-2:])
        loss = set_loss(out.class_logits, out.mask_logits, targets)
        for cls, masks in out.aux:  # deep supervision on every decoder layer
            loss = loss + set_loss(cls, masks, targets)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            print(f"step {step} loss {loss.item():.3f} ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    save_bundled(model, args.out)
    print(f"saved {args.out} after {time.time() - start:.0f} s")
    print(held_out_report(model, args.eval_clips), flush=True)


if __name__ == "__main__":
    main()
