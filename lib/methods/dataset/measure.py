"""One video, one task, one setting -> one flat row of numbers, computed by the tab's own run_<tab>.

This is the single code path of a batch job: the Ray workers call `measure`, and so does the in-process loop,
so a batch row and the tab on the same clip give the same numbers. Each `_<task>_row` reads the numbers that
tab shows from its result (tokens, FLOPs, mIoU, predictions and scores, attention distance per layer, merged
tokens, timings); lists (one value per layer) stay lists, everything else is a plain int / float / str / bool.
"""
from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from lib.methods.attention import run_attention
from lib.methods.dataset.settings import task_spec
from lib.methods.long_range import COUNT_LABELS, run_long_range
from lib.methods.mask_propagation import run_mask_propagation
from lib.methods.token_merging import run_token_merging
from lib.methods.tubes import count_tube_flops, run_tubes

RUNNERS = {"tubes": run_tubes, "attention": run_attention, "token-merging": run_token_merging,
           "mask-propagation": run_mask_propagation, "long-range": run_long_range}


def task_defaults(task: str) -> dict[str, object]:
    """keyword -> the tab's default for each option of `task` (from run_<tab>'s signature)."""
    return task_spec(task).defaults(RUNNERS[task])


def _num(value: object) -> float | None:
    """A finite float, or None (NaN has no place in a table the user sorts)."""
    value = float(value)
    return value if np.isfinite(value) else None


def _tubes_row(result) -> dict:
    sparse, dense, frames = result.costs
    t, h, w = result.layout.input_shape
    prediction = result.prediction
    return {"analysed_frames": t, "analysed_height": h, "analysed_width": w,
            "tube_tokens": result.layout.num_tokens, "dense_tokens": dense.tokens, "frame_tokens": frames.tokens,
            "tube_gflops_vit_b": sparse.gflops, "dense_gflops_vit_b": dense.gflops,
            "frame_gflops_vit_b": frames.gflops, "model_tokens": result.model_layout.num_tokens,
            "model_gflops": count_tube_flops(result), "head_trained": bool(result.head_trained),
            "prediction": None if prediction is None else prediction[0],
            "score": None if prediction is None else float(prediction[1]),
            "tokens_per_tube": [int(n) for n in result.layout.tokens_per_tube]}


def _mask_propagation_row(result) -> dict:
    metrics = result.metrics()
    return {"analysed_frames": metrics["frames"], "analysed_height": metrics["height"],
            "analysed_width": metrics["width"], "reference": metrics["reference"],
            "has_ground_truth": bool(result.has_ground_truth), "miou": _num(result.miou),
            "gflops_per_frame": float(result.gflops_per_frame),
            "per_frame_segmentation_gflops": float(result.per_frame_gflops),
            "flops_saving": float(result.per_frame_gflops / result.gflops_per_frame)
            if result.gflops_per_frame > 0 else None,
            "mean_warp_error": metrics["mean_warp_error"], "seconds_per_frame": float(result.track.seconds.mean()),
            "key_frames": len(metrics["key_frames"]),
            "drift_iou": [_num(v) for v in result.drift]}


def _token_merging_row(result) -> dict:
    row = {"analysed_frames": int(result.frames.shape[0]), "raw_tokens": result.raw_tokens,
           "merged_tokens": result.merged_tokens, "merge_ratio": result.raw_tokens / result.merged_tokens,
           "segments": result.num_segments, "global_tokens": int(len(result.global_tokens)),
           "merged_tokens_per_minute": result.merged_tokens / (result.duration / 60) if result.duration else None,
           "encoder": result.model_name}
    row.update({f"budget_{_slug(b.name)}": int(b.tokens) for b in result.budgets})
    row.update({f"time_{_slug(name)}_s": float(sec) for name, sec in result.timings.items()})
    return row


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in str(text).lower()).strip("_")[:40]


def _attention_row(result) -> dict:
    main = result.main
    row = {"analysed_frames": int(len(result.frames)), "attention_model": main.model_name,
           "gflops": float(main.gflops), "twin_gflops": None if result.twin is None else float(result.twin.gflops),
           "spatial_distance": [float(np.mean(s.spatial)) for s in main.stats],
           "temporal_distance": [float(np.mean(s.temporal)) for s in main.stats],
           "entropy": [float(np.mean(s.entropy)) for s in main.stats],
           "ground_truth_segments": len(result.ground_truth)}
    row["mean_spatial_distance"] = float(np.mean(row["spatial_distance"])) if main.stats else None
    detections = result.detections.get(main.model_name) or next(iter(result.detections.values()), ())
    row["detections"] = len(detections)
    best = max(detections, key=lambda d: d.score, default=None)
    row["prediction"] = None if best is None else result.labels[best.label]
    row["score"] = None if best is None else float(best.score)
    if main.logits is not None:
        logits = np.asarray(main.logits, dtype=np.float64)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        row["prediction"], row["score"] = result.labels[int(probs.argmax())], float(probs.max())
    return row


def _long_range_row(result) -> dict:
    labels = result.class_labels or COUNT_LABELS
    return {"analysed_frames": int(len(result.frames)), "tokens": result.num_tokens,
            "s4_prediction": labels[result.s4.predicted], "s4_score": float(result.s4.probs.max()),
            "attention_prediction": labels[result.attention_run.predicted],
            "attention_score": float(result.attention_run.probs.max()),
            "s4_seconds": float(result.s4.seconds), "attention_seconds": float(result.attention_run.seconds),
            "kernel_memory_tokens": float(np.mean(result.kernel_memory)),
            "attention_span_tokens": float(np.mean(result.attention_span)),
            "true_label": None if result.true_label is None else labels[result.true_label]}


ROWS = {"tubes": _tubes_row, "attention": _attention_row, "token-merging": _token_merging_row,
        "mask-propagation": _mask_propagation_row, "long-range": _long_range_row}


def run_task(video: str | Path, task: str, settings: Mapping[str, object]):
    """The tab's own result: RUNNERS[task](video, **settings)."""
    task_spec(task)
    return RUNNERS[task](video, **dict(settings))


def measure(video: str | Path, task: str, settings: Mapping[str, object]) -> tuple[dict, object]:
    """(the numbers of one row, the tab's result) for `video` under `settings`; `seconds` is the wall time.
    Raises whatever run_<tab> raises (UserInputError / VideoError sentences for bad files and settings)."""
    start = time.perf_counter()
    result = run_task(video, task, settings)
    row = ROWS[task](result)
    row["seconds"] = time.perf_counter() - start
    return row, result
