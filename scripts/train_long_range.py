"""Train the long-range tab's bundled models and print their held-out scores.

    python scripts/train_long_range.py                 # everything (about 15 minutes on 2 idle cores)
    python scripts/train_long_range.py --stage encoder # only the frame encoder
    python scripts/train_long_range.py --stage decoders --mixer s4

Stages (data, losses and evaluation in lib/methods/long_range/training.py, the loop is lib.training.fit):
1. encoder:  ToyFrameEncoder learns to name the actor's action from a frame pair, on ENCODER_SEEDS videos
             -> <out>/toy-frame-encoder/ (prints held-out per-pair accuracy on the encoder's own 16 videos).
2. features: every sampled frame pair of the decoders' training and held-out videos (SEEDS) is encoded once
             (256 pairs x 4 tokens = 1,024 tokens of 32 channels per video), cached under --cache-dir.
3. decoders: ViS4mer (S4) and its attention twin, same widths, same recipe (AdamW, one-cycle schedule,
             time-reversal augmentation, same seed and batches), count the bounces
             -> <out>/vis4mer-tiny-toy/, <out>/vis4mer-attention-tiny-toy/
             (prints held-out accuracy on SEEDS.held_out, never used in training).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.methods.long_range.data import (  # noqa: E402
    COUNT_LABELS,
    ENCODER_SEEDS,
    FRAME_CLASS_NAMES,
    IMAGE_SIZE,
    NUM_ENCODER_HELD_OUT_VIDEOS,
    NUM_ENCODER_TRAIN_VIDEOS,
    NUM_HELD_OUT_VIDEOS,
    NUM_TRAIN_VIDEOS,
    SEEDS,
    decoder_accuracy,
)
from lib.methods.long_range.frame_encoder import ToyFrameEncoder  # noqa: E402
from lib.methods.long_range.model import ViS4merDecoder  # noqa: E402
from lib.methods.long_range.s4_layer import optimizer_groups  # noqa: E402
from lib.methods.long_range.training import (  # noqa: E402
    build_features,
    class_weights,
    decoder_losses,
    encoder_data,
    encoder_losses,
    pair_accuracy,
    video_frames,
)
from lib.models.bundled import save_bundled  # noqa: E402
from lib.training import fit, one_cycle  # noqa: E402

ENCODER_NAME = "toy-frame-encoder"
DECODER_NAMES = {"s4": "vis4mer-tiny-toy", "attention": "vis4mer-attention-tiny-toy"}
ENCODER_BATCH, ENCODER_LR = 128, 2e-3
DECODER_CONFIG = dict(d_input=32, d_model=128, num_classes=len(COUNT_LABELS), num_layers=3, state_size=16,
                      heads=2, dropout=0.1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def train_encoder(args: argparse.Namespace) -> None:
    held = ENCODER_SEEDS.held_out(NUM_ENCODER_HELD_OUT_VIDEOS)
    data = encoder_data(ENCODER_SEEDS.train(args.encoder_videos) + held, set(held), args.frame_cache, log)
    torch.manual_seed(args.seed)
    encoder = ToyFrameEncoder(image_size=IMAGE_SIZE, dim=32, grid=2, num_classes=len(FRAME_CLASS_NAMES),
                              class_names=FRAME_CLASS_NAMES)
    weights = class_weights(data.train_targets, len(FRAME_CLASS_NAMES))
    steps = args.encoder_epochs * (len(data.train_positions) // ENCODER_BATCH)
    optimiser = torch.optim.AdamW(encoder.parameters(), lr=ENCODER_LR, weight_decay=1e-4)
    schedule = one_cycle(optimiser, steps)
    generator = torch.Generator().manual_seed(args.seed)
    encoder.train()

    def epoch_done(epoch: int, loss: float) -> None:
        log(f"encoder epoch {epoch + 1}: loss {loss:.3f}, held-out pair accuracy "
            f"{pair_accuracy(encoder, data.held_pairs, data.held_targets):.3f}")

    losses = encoder_losses(encoder, data, weights, epochs=args.encoder_epochs, batch_size=ENCODER_BATCH,
                            generator=generator, on_epoch=epoch_done)
    fit(encoder, losses, optimiser, schedule, clip_norm=None, log=None)
    encoder.eval()
    print(f"frame encoder held-out pair accuracy: {pair_accuracy(encoder, data.held_pairs, data.held_targets):.3f} "
          f"({len(data.held_targets)} pairs of {len(held)} unseen videos)")
    save_bundled(encoder, args.out / ENCODER_NAME)


def train_decoder(mixer: str, args: argparse.Namespace, train: tuple, held: tuple) -> float:
    torch.manual_seed(args.seed)
    model = ViS4merDecoder(mixer=mixer, **DECODER_CONFIG)
    optimiser = torch.optim.AdamW(optimizer_groups(model, lr=args.lr, weight_decay=0.01))
    schedule = one_cycle(optimiser, args.epochs * (len(train[0]) // args.batch_size), pct_start=0.1)
    generator = torch.Generator().manual_seed(args.seed)  # same batches and flips for both mixers

    def epoch_done(epoch: int, loss: float) -> None:
        if (epoch + 1) % 5 == 0 or epoch == args.epochs - 1:
            log(f"{mixer} epoch {epoch + 1}: train loss {loss:.3f}, held-out accuracy "
                f"{decoder_accuracy(model, *held):.3f}")

    start = time.perf_counter()
    fit(model, decoder_losses(model, *train, epochs=args.epochs, batch_size=args.batch_size, generator=generator,
                              on_epoch=epoch_done), optimiser, schedule, clip_norm=1.0, log=None)
    seconds = time.perf_counter() - start
    acc = decoder_accuracy(model, *held)
    print(f"{mixer} decoder held-out accuracy: {acc:.3f} on {len(held[1])} unseen videos "
          f"(trained {seconds / 60:.1f} min, {sum(p.numel() for p in model.parameters()):,} parameters)")
    save_bundled(model.eval(), args.out / DECODER_NAMES[mixer])
    return acc


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", choices=("all", "render", "encoder", "features", "decoders"), default="all",
                        help="render: only render the decoder videos' frames into the cache")
    parser.add_argument("--mixer", choices=("both", "s4", "attention"), default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--encoder-epochs", type=int, default=4)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--encoder-videos", type=int, default=NUM_ENCODER_TRAIN_VIDEOS)
    parser.add_argument("--train-videos", type=int, default=NUM_TRAIN_VIDEOS)
    parser.add_argument("--held-out-videos", type=int, default=NUM_HELD_OUT_VIDEOS)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "tmp" / "long_range")
    parser.add_argument("--out", type=Path, default=ROOT / "assets" / "models", help="folder of the saved models")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    args.frame_cache = args.cache_dir / "frames"  # rendered frames are kept as .npy files
    train_seeds, held_seeds = SEEDS.train(args.train_videos), SEEDS.held_out(args.held_out_videos)
    if args.stage == "render":
        for k, seed in enumerate([*train_seeds, *held_seeds]):
            video_frames(seed, args.frame_cache)
            if (k + 1) % 100 == 0:
                log(f"rendered {k + 1} videos")
        return
    if args.stage in ("all", "encoder"):
        train_encoder(args)
    if args.stage in ("all", "features", "decoders"):
        encoder_dir = args.out / ENCODER_NAME
        train = build_features(encoder_dir, train_seeds, "train", args.cache_dir, args.frame_cache, log)
        held = build_features(encoder_dir, held_seeds, "held-out", args.cache_dir, args.frame_cache, log)
        log(f"features: train {tuple(train[0].shape)}, held-out {tuple(held[0].shape)}; "
            f"held-out label counts {torch.bincount(held[1]).tolist()}")
        if args.stage != "features":
            for mixer in (("s4", "attention") if args.mixer == "both" else (args.mixer,)):
                train_decoder(mixer, args, train, held)


if __name__ == "__main__":
    main()
