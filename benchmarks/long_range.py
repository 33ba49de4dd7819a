"""ViS4mer decoder vs its self-attention twin at the paper's LVU length, measured side by side in one run.

    python benchmarks/long_range.py [--seq-len 11820] [--width 128] [--held-out 200]

1. Cost: forward + backward (one training step's compute, batch 1, float32) of the 3-layer multi-scale
   decoder with S4D layers and of the same decoder with single-head softmax self-attention, at
   L = 11,820 tokens (60 frames x 197 ViT tokens). Peak tensor memory from the PyTorch profiler's
   allocator totals; time as the best of --repeats runs, the two models alternating. The attention run is
   refused beforehand if its predicted memory exceeds half of the memory available now.
2. Accuracy: both bundled decoders on --held-out unseen long toy videos (count the bounces).
Targets from the paper: >= 8x less peak memory and >= 2.6x less time; S4 accuracy >= attention accuracy.
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lib.methods.long_range.cost_curves import predict_attention_bytes  # noqa: E402
from lib.methods.long_range.cost_measure import (  # noqa: E402
    available_memory_bytes,
    best_time_seconds,
    forward_backward,
    peak_memory_bytes,
)
from lib.methods.long_range.data import SEEDS, decoder_accuracy, encode_task_videos  # noqa: E402
from lib.methods.long_range.model import ViS4merDecoder  # noqa: E402
from lib.models import load_model  # noqa: E402


def build(mixer: str, args: argparse.Namespace):
    torch.manual_seed(0)
    model = ViS4merDecoder(d_input=args.width, d_model=args.width, num_classes=10, num_layers=3, mixer=mixer,
                           state_size=16, heads=1, dropout=0.0)
    return model, forward_backward(model, torch.randn(1, args.seq_len, args.width))


def interleaved_best_times(steps: dict, repeats: int) -> dict:
    """Best-of-`repeats` seconds per step, alternating the steps so both see the same machine load."""
    best = {name: float("inf") for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            best[name] = min(best[name], best_time_seconds(step, repeats=1, warmup=0))
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seq-len", type=int, default=11_820)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--held-out", type=int, default=160)
    parser.add_argument("--threads", type=int, default=1,
                        help="1 by default: on a shared CPU, multi-threaded small ops stall on descheduled threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, L = {args.seq_len:,}, width {args.width}")

    s4_model, s4_step = build("s4", args)
    s4_peak = peak_memory_bytes(s4_step) / 1e6  # also the warm-up run
    print(f"stage shapes: {s4_model.stage_shapes(args.seq_len)}")
    # layer 1 at its peak plus the probabilities that layers 2 and 3 keep for the backward pass
    predicted = predict_attention_bytes(args.seq_len, args.width, 1) + 4 * ((args.seq_len // 2) ** 2
                                                                            + (args.seq_len // 4) ** 2)
    budget = available_memory_bytes() / 2
    if predicted > budget:
        raise SystemExit(f"attention would need about {predicted / 1e6:,.0f} MB, over the {budget / 1e6:,.0f} MB "
                         "budget (half of the memory available now); use a smaller --seq-len")
    print(f"attention predicted peak: {predicted / 1e6:,.0f} MB (budget {budget / 1e6:,.0f} MB)")
    _, attn_step = build("attention", args)
    attn_peak = peak_memory_bytes(attn_step) / 1e6
    times = interleaved_best_times({"s4": s4_step, "attention": attn_step}, args.repeats)
    s4_seconds, attn_seconds = times["s4"], times["attention"]
    for name, peak, seconds in (("S4", s4_peak, s4_seconds), ("attention", attn_peak, attn_seconds)):
        print(f"{name:>9}: peak {peak:9.1f} MB, forward+backward {seconds:7.3f} s (best of {args.repeats})")
    print(f"ratios at L = {args.seq_len:,}: memory {attn_peak / s4_peak:.1f}x less with S4 (target >= 8x), "
          f"time {attn_seconds / s4_seconds:.1f}x less (target >= 2.6x)", flush=True)

    encoder = load_model("toy-frame-encoder", device="cpu")
    seeds = SEEDS.held_out(args.held_out)
    tokens, labels = encode_task_videos(encoder, seeds)
    s4_acc = decoder_accuracy(load_model("vis4mer-tiny-toy", device="cpu"), tokens, labels)
    attn_acc = decoder_accuracy(load_model("vis4mer-attention-tiny-toy", device="cpu"), tokens, labels)
    majority = float(torch.bincount(labels).max()) / len(labels)
    print(f"held-out accuracy on {len(seeds)} unseen videos ({tokens.shape[1]:,} tokens each): S4 {s4_acc:.3f}, "
          f"attention {attn_acc:.3f}, majority class {majority:.3f}")
    print(json.dumps({"seq_len": args.seq_len, "width": args.width, "s4_peak_mb": round(s4_peak, 1),
                      "attn_peak_mb": round(attn_peak, 1), "s4_seconds": round(s4_seconds, 4),
                      "attn_seconds": round(attn_seconds, 4), "s4_acc": round(s4_acc, 4),
                      "attn_acc": round(attn_acc, 4)}))


if __name__ == "__main__":
    main()
