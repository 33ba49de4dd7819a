"""Train the long-range tab's bundled models and print their held-out scores.

    python scripts/train_long_range.py                 # everything (about 15 minutes on 2 idle cores)
    python scripts/train_long_range.py --stage encoder # only the frame encoder
    python scripts/train_long_range.py --stage decoders --mixer s4

Stages:
1. encoder:  ToyFrameEncoder learns to name the actor's action from a frame pair, on ENCODER_SEEDS videos
             -> assets/models/toy-frame-encoder/ (prints held-out per-pair accuracy).
2. features: every sampled frame pair of TRAIN_SEEDS and HELD_OUT_SEEDS videos is encoded once
             (256 pairs x 4 tokens = 1,024 tokens of 32 channels per video), cached under --cache-dir.
3. decoders: ViS4mer (S4) and its attention twin, same widths, same recipe (AdamW, cosine schedule,
             time-reversal augmentation, same seed and batches), count the bounces
             -> assets/models/vis4mer-tiny-toy/, assets/models/vis4mer-attention-tiny-toy/
             (prints held-out accuracy on HELD_OUT_SEEDS, never used in training).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lib.methods.long_range.data import (  # noqa: E402
    COUNT_LABELS,
    ENCODER_SEEDS,
    FRAME_CLASS_NAMES,
    HELD_OUT_SEEDS,
    IMAGE_SIZE,
    TRAIN_SEEDS,
    count_label,
    frame_targets,
    sampled_indices,
    task_video,
)
from lib.methods.long_range.frame_encoder import ToyFrameEncoder, frame_pairs  # noqa: E402
from lib.methods.long_range.model import ViS4merDecoder  # noqa: E402
from lib.methods.long_range.s4_layer import optimizer_groups  # noqa: E402
from lib.models.bundled import save_bundled  # noqa: E402

ENCODER_DIR = ROOT / "assets/models/toy-frame-encoder"
DECODER_DIRS = {"s4": ROOT / "assets/models/vis4mer-tiny-toy",
                "attention": ROOT / "assets/models/vis4mer-attention-tiny-toy"}
DECODER_CONFIG = dict(d_input=32, d_model=128, num_classes=len(COUNT_LABELS), num_layers=3, state_size=16,
                      heads=2, dropout=0.1)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


FRAME_CACHE: Path | None = None  # set from --cache-dir: rendered frames are kept as .npy files


def video_frames(seed: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Sampled frames (T+1, S, S, 3) uint8, per-pair targets (T,) and the count label of one task video."""
    video = task_video(seed)  # cheap: frames are rendered lazily
    indices = sampled_indices(video.num_frames)
    cached = FRAME_CACHE / f"{seed}.npy" if FRAME_CACHE is not None else None
    if cached is not None and cached.is_file():
        frames = np.load(cached)
    else:
        frames = video.frames(indices.tolist())
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(".partial.npy")
            np.save(partial, frames)
            partial.replace(cached)  # atomic: an interrupted run never leaves a truncated cache file
    return frames, frame_targets(video, indices), count_label(video)


def pairs_of(frames: np.ndarray, positions: np.ndarray) -> torch.Tensor:
    """Encoder input for pairs (positions, positions + 1) of a (N, S, S, 3) uint8 frame array: (P, 6, S, S)."""
    return torch.cat([frame_pairs(frames[[p, p + 1]], IMAGE_SIZE) for p in positions])


def train_encoder(args: argparse.Namespace) -> ToyFrameEncoder:
    seeds = list(ENCODER_SEEDS)
    held = set(seeds[-16:])  # the encoder's own held-out videos
    frames, targets, positions = [], [], []  # frames of all videos concatenated; pairs never cross videos
    held_mask = []
    for seed in seeds:
        video_frames_, video_targets, _ = video_frames(seed)
        positions.append(np.arange(len(video_targets)) + sum(len(f) for f in frames))
        frames.append(video_frames_)
        targets.append(video_targets)
        held_mask.append(np.full(len(video_targets), seed in held))
    log(f"rendered {len(seeds)} encoder videos")
    frames_all = np.concatenate(frames)  # uint8: pairs are built per batch to keep memory small
    targets_all, positions_all, held_all = (np.concatenate(a) for a in (targets, positions, held_mask))
    train_pos, train_y = positions_all[~held_all], torch.as_tensor(targets_all[~held_all])
    x_held = pairs_of(frames_all, positions_all[held_all])
    y_held = torch.as_tensor(targets_all[held_all])
    torch.manual_seed(args.seed)
    encoder = ToyFrameEncoder(image_size=IMAGE_SIZE, dim=32, grid=2, num_classes=len(FRAME_CLASS_NAMES),
                              class_names=FRAME_CLASS_NAMES)
    # class weights: "none" pairs are about half of all pairs
    counts = torch.bincount(train_y, minlength=len(FRAME_CLASS_NAMES)).float()
    weights = counts.sum() / (len(counts) * counts.clamp_min(1))
    batch_size = 128
    steps = args.encoder_epochs * (len(train_pos) // batch_size)
    opt = torch.optim.AdamW(encoder.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps)
    generator = torch.Generator().manual_seed(args.seed)
    encoder.train()
    for epoch in range(args.encoder_epochs):
        order = torch.randperm(len(train_pos), generator=generator).numpy()
        for i in range(0, len(order) - batch_size + 1, batch_size):
            batch = order[i:i + batch_size]
            logits = encoder.classify(pairs_of(frames_all, train_pos[batch]))
            loss = F.cross_entropy(logits, train_y[batch], weight=weights)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        log(f"encoder epoch {epoch + 1}: loss {loss.item():.3f}, held-out pair accuracy "
            f"{pair_accuracy(encoder, x_held, y_held):.3f}")
    encoder.eval()
    print(f"frame encoder held-out pair accuracy: {pair_accuracy(encoder, x_held, y_held):.3f} "
          f"({len(y_held)} pairs of {len(held)} unseen videos)")
    save_bundled(encoder, ENCODER_DIR)
    return encoder


@torch.no_grad()
def pair_accuracy(encoder: ToyFrameEncoder, x: torch.Tensor, y: torch.Tensor) -> float:
    was_training = encoder.training
    encoder.eval()
    pred = torch.cat([encoder.classify(x[i:i + 512]).argmax(-1) for i in range(0, len(x), 512)])
    encoder.train(was_training)
    return float((pred == y).float().mean())


def build_features(args: argparse.Namespace, seeds: range, name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(V, 1024, 32) tokens and (V,) count labels, cached in --cache-dir keyed by the encoder weights."""
    encoder = ToyFrameEncoder.from_pretrained(ENCODER_DIR).eval()
    stamp = int((ENCODER_DIR / "model.safetensors").stat().st_mtime)
    path = Path(args.cache_dir) / f"{name}-{seeds.start}-{seeds.stop}-{stamp}.pt"
    if path.is_file():
        cached = torch.load(path)
        return cached["tokens"], cached["labels"]
    tokens, labels = [], []
    for k, seed in enumerate(seeds):
        frames, _, label = video_frames(seed)
        pairs = frame_pairs(frames, IMAGE_SIZE)
        with torch.no_grad():
            tokens.append(encoder(pairs).flatten(0, 1).half())
        labels.append(label)
        if (k + 1) % 100 == 0:
            log(f"{name}: encoded {k + 1}/{len(seeds)} videos")
    result = torch.stack(tokens), torch.tensor(labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"tokens": result[0], "labels": result[1]}, path)
    return result


def train_decoder(mixer: str, args: argparse.Namespace, train: tuple, held: tuple) -> float:
    torch.manual_seed(args.seed)
    model = ViS4merDecoder(mixer=mixer, **DECODER_CONFIG)
    x_train, y_train = train
    steps_per_epoch = len(x_train) // args.batch_size
    opt = torch.optim.AdamW(optimizer_groups(model, lr=args.lr, weight_decay=0.01))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in opt.param_groups],
                                                total_steps=args.epochs * steps_per_epoch, pct_start=0.1)
    generator = torch.Generator().manual_seed(args.seed)  # same batches and flips for both mixers
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=generator)
        flips = torch.rand(len(x_train), generator=generator) < 0.5
        total = 0.0
        for i in range(steps_per_epoch):
            batch = order[i * args.batch_size:(i + 1) * args.batch_size]
            x = x_train[batch].float()
            # the number of bounces does not change when the token sequence is played backwards
            x = torch.where(flips[batch, None, None], x.flip(1), x)
            loss = F.cross_entropy(model(x), y_train[batch])
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item()
        if (epoch + 1) % 5 == 0 or epoch == args.epochs - 1:
            log(f"{mixer} epoch {epoch + 1}: train loss {total / steps_per_epoch:.3f}, "
                f"held-out accuracy {accuracy(model, *held):.3f}")
    seconds = time.perf_counter() - start
    acc = accuracy(model, *held)
    print(f"{mixer} decoder held-out accuracy: {acc:.3f} on {len(held[1])} unseen videos "
          f"(trained {seconds / 60:.1f} min, {sum(p.numel() for p in model.parameters()):,} parameters)")
    save_bundled(model.eval(), DECODER_DIRS[mixer])
    return acc


@torch.no_grad()
def accuracy(model: ViS4merDecoder, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    pred = torch.cat([model(x[i:i + 32].float()).argmax(-1) for i in range(0, len(x), 32)])
    return float((pred == y).float().mean())


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
    parser.add_argument("--cache-dir", default=str(ROOT / "tmp" / "long_range"))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    global FRAME_CACHE
    FRAME_CACHE = Path(args.cache_dir) / "frames"
    if args.stage == "render":
        for k, seed in enumerate([*TRAIN_SEEDS, *HELD_OUT_SEEDS]):
            video_frames(seed)
            if (k + 1) % 100 == 0:
                log(f"rendered {k + 1} videos")
        return
    if args.stage in ("all", "encoder"):
        train_encoder(args)
    if args.stage in ("all", "features", "decoders"):
        train = build_features(args, TRAIN_SEEDS, "train")
        held = build_features(args, HELD_OUT_SEEDS, "held-out")
        log(f"features: train {tuple(train[0].shape)}, held-out {tuple(held[0].shape)}; "
            f"held-out label counts {torch.bincount(held[1]).tolist()}")
        if args.stage != "features":
            for mixer in (("s4", "attention") if args.mixer == "both" else (args.mixer,)):
                train_decoder(mixer, args, train, held)


if __name__ == "__main__":
    main()
