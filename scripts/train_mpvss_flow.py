"""Train the bundled MPVSS motion module (assets/models/mpvss-flow-tiny-toy) on toy-world clip pairs.

The key-frame segmentor (assets/models/query-segmentor-tiny-toy) is frozen, as in MPVSS step 2. For a key
frame k and a later frame t (1-9 frames apart) the module predicts per-query flows from (frame t, frame k,
key queries); losses: the warped-mask loss (NLL of the ground-truth classes of frame t under the key masks
warped with each query's flow, classes reused from k) plus end-point error against the toy world's exact
backward flow (pixel flow everywhere; each query's flow where its mask lands). Seeded; prints the held-out
mIoU of propagation at k=5 next to per-frame segmentation and no flow.

Robust training data, as for the segmentor (scripts/train_query_segmentor.py): each clip is rendered at 128 px
or, with probability --render-2x, at 256 px and area-shrunk like the app's loader, then degraded once for the
whole clip (lib.methods.mask_propagation.degrade: colour jitter, blur, noise, an H.264 round trip over all 32 frames or JPEG).
Labels and exact flows come from the clean render, brought to the 128 px grid.
"""
from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from lib.methods.mask_propagation.data import CLIP_CONFIG, backward_flows, held_out_seeds, toy_clip, train_seeds
from lib.methods.mask_propagation.degrade import Degradation, DegradeConfig, apply_degradation, draw_degradation
from lib.methods.mask_propagation.flow_model import MPVSSFlow
from lib.methods.mask_propagation.losses import endpoint_error, semantic_nll
from lib.methods.mask_propagation.segmentor_model import QuerySegmentor, semantic_probs
from lib.methods.mask_propagation.warp import warp
from lib.models.bundled import save_bundled

SEGMENTOR = "assets/models/query-segmentor-tiny-toy"
OUT = "assets/models/mpvss-flow-tiny-toy"
KEYS = (0, 10, 20)
MAX_GAP = 9


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float() / 255


def clip_frames(seed: int, render_2x: float, degrade: DegradeConfig | None, salt: int = 1):
    """A training clip (ToyClip at 128 or 256 px), its frames at 128 px after a seeded degradation, and the scale."""
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
    """Key/current frames, cached key-frame segmentor outputs, stride-4 labels and stride-8 exact flows."""
    cur, key_idx, sem, flows, keys, cls, masks, queries = [], [], [], [], [], [], [], []
    for seed in seeds:
        clip, config, frames, scale = clip_frames(seed, render_2x, degrade)
        key_frames = to_tensor(frames[list(KEYS)])
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
    return {"current": to_tensor(np.stack(cur)), "key_index": torch.tensor(key_idx),
            "semantic": torch.from_numpy(np.stack(sem)).long(), "flow": torch.stack(flows),
            "key": torch.cat(keys), "class_logits": torch.cat(cls), "mask_logits": torch.cat(masks),
            "queries": torch.cat(queries)}


def losses(model: MPVSSFlow, data: dict[str, torch.Tensor], pick: torch.Tensor) -> dict[str, torch.Tensor]:
    k = data["key_index"][pick]
    out = model(data["current"][pick], data["key"][k], data["queries"][k])
    b, q, _, h, w = out.query_flow.shape
    key_masks = data["mask_logits"][k]  # (B, Q, h4, w4)
    warped = warp(key_masks.reshape(b * q, 1, *key_masks.shape[-2:]), out.query_flow.reshape(b * q, 2, h, w))
    scores = semantic_probs(data["class_logits"][k], warped.view(b, q, *key_masks.shape[-2:]))
    target = data["flow"][pick]  # (B, 2, h, w)
    with torch.no_grad():  # where each query's mask lands in frame t (key mask moved by the exact flow)
        landed = warp(key_masks.reshape(b * q, 1, *key_masks.shape[-2:]), target.repeat_interleave(q, 0))
        weight = F.interpolate(landed.sigmoid(), size=(h, w), mode="area").view(b * q, h, w)
    return {"mask": semantic_nll(scores, data["semantic"][pick]),
            "pixel_epe": endpoint_error(out.pixel_flow, target),
            "query_epe": endpoint_error(out.query_flow.reshape(b * q, 2, h, w), target.repeat_interleave(q, 0), weight)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=12)
    parser.add_argument("--clips", type=int, default=150)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--segmentor", default=SEGMENTOR)
    parser.add_argument("--render-2x", type=float, default=0.5, help="share of clips rendered at 256 px and shrunk")
    parser.add_argument("--no-degrade", action="store_true", help="no blur / noise / codec / colour jitter")
    parser.add_argument("--out", default=OUT)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)  # one thread: far faster than two on a busy shared CPU
    start = time.time()
    segmentor = QuerySegmentor.from_pretrained(args.segmentor).eval().requires_grad_(False)
    data = build_pairs(segmentor, train_seeds(args.clips), args.render_2x, None if args.no_degrade else DegradeConfig())
    print(f"{len(data['current'])} pairs from {args.clips} clips in {time.time() - start:.0f} s", flush=True)
    model = MPVSSFlow(query_dim=segmentor.dim, num_queries=segmentor.num_queries)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-3, total_steps=args.steps, pct_start=0.05)
    gen = torch.Generator().manual_seed(args.seed)
    model.train()
    for step in range(args.steps):
        pick = torch.randint(0, len(data["current"]), (args.batch,), generator=gen)
        parts = losses(model, data, pick)
        loss = parts["mask"] + 0.2 * parts["pixel_epe"] + 0.2 * parts["query_epe"]
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 100 == 0 or step == args.steps - 1:
            shown = " ".join(f"{n} {v.item():.3f}" for n, v in parts.items())
            print(f"step {step} loss {loss.item():.3f} ({shown}) ({time.time() - start:.0f} s)", flush=True)
    model.eval()
    save_bundled(model, args.out)
    print(f"saved {args.out}")
    from lib.methods.mask_propagation.evaluate import evaluate_toy  # after saving: evaluation is a separate concern
    scores = evaluate_toy(segmentor, model, held_out_seeds(20), k=5)
    print("held-out mIoU at k=5 (20 clips): " + ", ".join(f"{n} {v:.4f}" for n, v in scores.items()))


if __name__ == "__main__":
    main()
