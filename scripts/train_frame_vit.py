"""Train the bundled FrameViT frame encoder on toy-world frames and save it to assets/models/frame-vit-toy/.

    python scripts/train_frame_vit.py                # reproduces the committed weights (seed 0)
    python scripts/train_frame_vit.py --steps 50 --clips 40 --out /tmp/fv   # a quick smoke run

Objective: actor class from CLS + per-patch semantic class + per-patch colours on a 2x2 sub-grid
(the colour head keeps appearance in the patch features, so merging groups real photographs too;
a few camera pans over a real photograph are mixed in with colour targets only).
Prints the held-out scores (toy seeds >= HELD_OUT_SEED_START, never used here) without and with ToMe.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.methods.token_merging.data import HELD_OUT_SEED_START, evaluate, make_frames, normalise  # noqa: E402
from lib.methods.token_merging.model import FrameViT  # noqa: E402
from lib.models.bundled import save_bundled  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=450)
    parser.add_argument("--batch", type=int, default=40)
    parser.add_argument("--clips", type=int, default=1500, help="training clips (3 frames each)")
    parser.add_argument("--held-out", type=int, default=200, help="held-out clips")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tome-r", type=int, default=20, help="ToMe r per block for the held-out check")
    parser.add_argument("--out", default="assets/models/frame-vit-toy")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    start = time.time()
    train = make_frames(range(args.clips))
    held = make_frames(range(HELD_OUT_SEED_START, HELD_OUT_SEED_START + args.held_out), photo_every=0)
    print(f"data: {len(train)} training frames, {len(held)} held-out frames ({time.time() - start:.0f} s)", flush=True)
    model = FrameViT()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    warmup = max(1, args.steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(s, args.steps) / args.steps)))
    for step in range(args.steps):
        model.train()
        pick = rng.integers(0, len(train), args.batch)
        out = model(normalise(train.frames[pick]))
        classes = torch.from_numpy(train.classes[pick])
        semantic = torch.from_numpy(train.semantic[pick])
        colours = torch.from_numpy(train.colours[pick])
        loss_class = F.cross_entropy(out["class_logits"], classes, ignore_index=-100)
        loss_seg = F.cross_entropy(out["seg_logits"].flatten(0, 1), semantic.flatten(), ignore_index=-100)
        loss_colour = F.mse_loss(out["colours"], colours)
        loss = loss_class + loss_seg + 10.0 * loss_colour
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        if step % 50 == 0 or step == args.steps - 1:
            print(f"step {step:5d}  loss {loss.item():.3f}  class {loss_class.item():.3f}  seg {loss_seg.item():.3f}  "
                  f"colour {loss_colour.item():.4f}  ({time.time() - start:.0f} s)", flush=True)
    folder = save_bundled(model, args.out)
    plain = evaluate(model, held)
    tome = evaluate(model, held, r=args.tome_r)
    print(f"saved {folder} ({sum(p.numel() for p in model.parameters())} parameters) after {time.time() - start:.0f} s")
    print(f"held-out (seeds {HELD_OUT_SEED_START}+, {len(held)} frames): class accuracy {plain['class_accuracy']:.3f}, "
          f"patch accuracy {plain['patch_accuracy']:.3f}")
    print(f"held-out with ToMe r={args.tome_r}: class accuracy {tome['class_accuracy']:.3f}, "
          f"patch accuracy {tome['patch_accuracy']:.3f}")


if __name__ == "__main__":
    main()
