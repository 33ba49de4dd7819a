"""The paper's claims against the bundled mask-propagation models, from the benchmarks' last runs
(assets/benchmarks/mask_propagation.json and mask_propagation_examples.json, written by benchmarks/
mask_propagation.py and benchmarks/mask_propagation_examples.py)."""
from __future__ import annotations

import json
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[3] / "assets" / "benchmarks"
HELD_OUT_JSON = BENCHMARKS / "mask_propagation.json"
EXAMPLES_JSON = BENCHMARKS / "mask_propagation_examples.json"


def _verdict(ok: bool) -> str:
    return "reproduced" if ok else "not reproduced"


def paper_markdown(held_out: str | Path = HELD_OUT_JSON, examples: str | Path = EXAMPLES_JSON) -> str:
    """A markdown table: each claim of MPVSS, what the bundled models measure and the verdict; the
    per-frame mIoU on the app's own examples; the commands that made the figures; one sentence."""
    run = json.loads(Path(held_out).read_text())
    ex = json.loads(Path(examples).read_text())
    k, targets = run["k"], run["targets"]
    lines = ["| claim of the paper (MPVSS, k = 5) | measured here | verdict |", "|---|---|---|",
             f"| about 1/4 of per-frame FLOPs (target here: at most 1/3) | {run['flop_ratio']:.3f} of per-frame "
             f"({run['mpvss_gflops']:.4f} vs {run['per_frame_gflops']:.4f} GFLOPs a frame, refiner included) | "
             f"{_verdict(targets['flops_at_most_a_third'])} |",
             f"| at most ~2 mIoU points below per-frame | {run['mpvss_miou']:.3f} vs {run['per_frame_miou']:.3f} "
             f"({run['miou_drop_points']:.1f} points) | {_verdict(targets['miou_drop_at_most_2_points'])} |",
             f"| better than propagating with a plain optical flow | DIS flow {run['plain_flow_miou']:.3f} "
             f"({run['mpvss_minus_plain_flow_points']:+.1f} points for MPVSS) | "
             f"{_verdict(targets['above_plain_flow'])} |"]
    if run.get("mpvss_unrefined_miou") is not None:
        lines.append(f"| (ablation: the same flows without the refiner) | {run['mpvss_unrefined_miou']:.3f} | |")
    toy = {name: r["per_frame_miou"] for name, r in ex["examples"].items() if name.startswith("toy")}
    lines += ["", f"Per-frame mIoU of the bundled segmentor on the app's examples as the tab loads them (target "
              f">= {ex['target_per_frame_miou']}): " + ", ".join(f"{n} {v:.3f}" for n, v in toy.items()) + ".",
              "", f"Figures: `{run['command']}` ({run['clips']} held-out clips x 32 frames, {run['measured']}) and "
              f"`{ex['command']}` ({ex['measured']}).", ""]
    held = all(targets.values())
    lines.append(f"At k = {k} the toy models {'reproduce' if held else 'do not fully reproduce'} the paper's "
                 f"trade-off: {run['flop_ratio']:.2f} of the FLOPs for {run['miou_drop_points']:.1f} mIoU points, "
                 f"{run['mpvss_minus_plain_flow_points']:+.1f} points against plain flow, and the segmentor "
                 f"{'holds' if ex['target_met'] else 'does not yet hold'} {ex['target_per_frame_miou']} on every "
                 "example.")
    return "\n".join(lines)
