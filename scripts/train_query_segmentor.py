"""Train the bundled query segmentor (assets/models/query-segmentor-tiny-toy) on toy-world frames.

Seeded and deterministic on CPU: `python scripts/train_query_segmentor.py` reproduces the committed
weights and prints the held-out mIoU (toy-world seeds never used in training) on three versions of the
held-out frames: clean 128 px renders; "as the app loads them" (rendered at 256 px, H.264 at CRF 18 as
scripts/make_examples.py writes the examples, decoded and area-shrunk to 128 px by lib.video.load_clip at
12.5 fps); and "degraded" (the same 128 px scenes as "clean" after the training degradations, drawn with
held-out seeds). The 256 px renders are other scenes than the 128 px ones of the same seed.

Robust training data (lib.methods.mask_propagation.training): each clip is rendered at 128 or 256 px and
degraded once (colour jitter that keeps class colour families, blur, noise, an H.264 or JPEG round trip);
--grey of the clips are shown without colour: off-colour objects (toy world: 15%) are the segmentor's main
error, and colourless clips make it learn shape. `--eval-only DIR` prints the three held-out scores of saved
weights and trains nothing.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runnable as a file

from lib.methods.mask_propagation.data import CLIP_CONFIG, train_seeds  # noqa: E402
from lib.methods.mask_propagation.degrade import DegradeConfig  # noqa: E402
from lib.methods.mask_propagation.segmentor_model import QuerySegmentor  # noqa: E402
from lib.methods.mask_propagation.training import build_robust_dataset, held_out_report, segmentor_steps  # noqa: E402
from lib.models.bundled import save_bundled  # noqa: E402
from lib.toyworld import CLASS_NAMES  # noqa: E402
from lib.training import fit, one_cycle  # noqa: E402

OUT = "assets/models/query-segmentor-tiny-toy"


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
    steps = segmentor_steps(model, images, labels, rng, steps=args.steps, batch=args.batch, crop=args.crop)
    fit(model, steps, opt, one_cycle(opt, args.steps, pct_start=0.05), log_every=100, total_steps=args.steps)
    model.eval()
    save_bundled(model, args.out)
    print(f"saved {args.out} after {time.time() - start:.0f} s")
    print(held_out_report(model, args.eval_clips), flush=True)


if __name__ == "__main__":
    main()
