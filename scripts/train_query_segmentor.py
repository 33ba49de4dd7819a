"""Train the bundled query segmentor (assets/models/query-segmentor-tiny-toy) on toy-world frames.

Seeded and deterministic on CPU: `python scripts/train_query_segmentor.py` reproduces the committed
weights and prints the held-out mIoU (toy-world seeds never used in training).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from lib.internals.propagation_data import CLIP_CONFIG, held_out_seeds, toy_clip, train_seeds
from lib.internals.propagation_losses import semantic_targets, set_loss
from lib.internals.propagation_metrics import mean_iou
from lib.models.bundled import save_bundled
from lib.models.query_segmentor import QuerySegmentor, semantic_probs
from lib.toyworld import CLASS_NAMES

OUT = "assets/models/query-segmentor-tiny-toy"


def build_dataset(seeds: list[int], frames_per_clip: int) -> tuple[np.ndarray, np.ndarray]:
    """(N, H, W, 3) uint8 frames and (N, H, W) uint8 class maps, frames spread evenly over each clip."""
    images, labels = [], []
    for seed in seeds:
        clip = toy_clip(seed)
        idx = np.linspace(0, clip.num_frames - 1, frames_per_clip).round().astype(int)
        images.append(clip.frames[idx])
        labels.append(clip.semantic[idx])
    return np.concatenate(images), np.concatenate(labels)


@torch.no_grad()
def evaluate(model: QuerySegmentor, seeds: list[int], frames_per_clip: int = 8) -> float:
    """mIoU over all frames of the held-out clips (accumulated confusion)."""
    model.eval()
    images, labels = build_dataset(seeds, frames_per_clip)
    preds = []
    for i in range(0, len(images), 32):
        x = torch.from_numpy(images[i:i + 32]).permute(0, 3, 1, 2).float() / 255
        out = model(x)
        preds.append(semantic_probs(out.class_logits, out.mask_logits, x.shape[-2:]).argmax(1).numpy())
    return mean_iou(np.concatenate(preds), labels, len(CLASS_NAMES))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--clips", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # one thread: far faster than two on a busy shared CPU
    rng = np.random.default_rng(args.seed)
    start = time.time()
    images, labels = build_dataset(train_seeds(args.clips), 6)
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
    print(f"saved {args.out}")
    print(f"held-out mIoU (40 clips x 8 frames, seeds {held_out_seeds(1)[0]}+): {evaluate(model, held_out_seeds(40)):.4f}")


if __name__ == "__main__":
    main()
