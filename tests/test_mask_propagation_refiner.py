"""MPVSS's refiner (issue 14): it starts as the identity on the warped masks, it can change the propagated labels
from the current frame, its FLOPs are part of every warped frame, and the tab's paper-vs-measured table reads
the benchmarks' JSON."""
import json

import numpy as np
import pytest
import torch

from lib.methods.mask_propagation.flow_model import MPVSSFlow
from lib.methods.mask_propagation.motion import FlowMethod
from lib.methods.mask_propagation.paper import paper_markdown
from lib.methods.mask_propagation.propagate import propagate
from lib.methods.mask_propagation.segmentor_model import QuerySegmentor
from lib.methods.mask_propagation.segmentors import KeyFrameSegmentor
from lib.models import save_bundled


@pytest.fixture(scope="module")
def models():
    torch.manual_seed(0)
    seg = QuerySegmentor(num_classes=3, num_queries=4, dim=16, widths=[16, 16, 32], num_layers=2, num_heads=2)
    motion = MPVSSFlow(query_dim=16, num_queries=4, dim=16, widths=[8, 8, 16, 16], num_layers=2, num_heads=2,
                       num_classes=3, up_width=8, refine_hidden=8)
    return KeyFrameSegmentor(seg.eval(), "bundled", ("a", "b", "c")), motion.eval()


def _frames() -> np.ndarray:
    return (np.random.default_rng(3).random((6, 48, 64, 3)) * 255).astype(np.uint8)


def test_refiner_features_are_on_the_mask_grid_and_it_starts_as_the_identity(models):
    seg, motion = models
    out = motion(torch.rand(1, 3, 50, 70), torch.rand(1, 3, 50, 70), torch.randn(1, 4, 16))
    assert out.features.shape == (1, 8, 13, 18)  # ceil(H / 4), ceil(W / 4), the segmentor's mask grid
    scores = torch.rand(1, 3, 13, 18)
    logits = motion.refine(scores, out.features, torch.rand(1, 3, 50, 70))
    assert torch.equal(logits.argmax(1), scores.argmax(1))  # the last conv starts at zero


def test_a_trained_refiner_changes_propagated_labels_and_refine_false_ignores_it(models, tmp_path):
    seg, motion = models
    save_bundled(motion, tmp_path / "m")
    trained = MPVSSFlow.from_pretrained(tmp_path / "m", strict=True).eval()
    with torch.no_grad():
        trained.refiner.out.bias.copy_(torch.tensor([0.0, 0.0, 50.0]))  # "class c everywhere"
    frames = _frames()
    segs = seg.segment(frames)
    plain = propagate(frames, FlowMethod("mpvss", motion), 3, segment=lambda i: segs[i])
    refined = propagate(frames, FlowMethod("mpvss", trained), 3, segment=lambda i: segs[i])
    unrefined = propagate(frames, FlowMethod("mpvss", trained, refine=False), 3, segment=lambda i: segs[i])
    warped = ~refined.is_key
    assert (refined.labels[warped] == 2).all()
    assert (refined.labels[~warped] == plain.labels[~warped]).all()  # key frames are the segmentor's own
    assert not (unrefined.labels[warped] == 2).all()


def test_refiner_flops_are_counted_on_every_warped_frame(models):
    seg, motion = models
    segs = seg.segment(_frames()[:1])
    with_refiner = FlowMethod("mpvss", motion).flops(48, 64, segs[0])
    without = FlowMethod("mpvss", motion, refine=False).flops(48, 64, segs[0])
    assert with_refiner > without > 0
    track = propagate(_frames(), FlowMethod("mpvss", motion), 3, segment=lambda i: segs[0], key_flops=1000)
    assert track.flops.tolist() == [1000 if key else with_refiner for key in track.is_key]


def test_paper_table_reads_the_benchmark_json(tmp_path):
    held = {"k": 5, "command": "python benchmarks/mask_propagation.py", "measured": "today", "clips": 20,
            "flop_ratio": 0.3, "mpvss_gflops": 0.07, "per_frame_gflops": 0.24, "mpvss_miou": 0.85,
            "per_frame_miou": 0.9, "miou_drop_points": 5.0, "plain_flow_miou": 0.8,
            "mpvss_minus_plain_flow_points": 5.0, "mpvss_unrefined_miou": 0.81,
            "targets": {"flops_at_most_a_third": True, "miou_drop_at_most_2_points": False, "above_plain_flow": True}}
    examples = {"command": "python benchmarks/mask_propagation_examples.py", "measured": "today",
                "target_per_frame_miou": 0.85, "target_met": False,
                "examples": {"toy_left": {"per_frame_miou": 0.7}, "photo_pan": {"per_frame_miou": 0.1}}}
    (tmp_path / "a.json").write_text(json.dumps(held))
    (tmp_path / "b.json").write_text(json.dumps(examples))
    text = paper_markdown(tmp_path / "a.json", tmp_path / "b.json")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[1].endswith("| reproduced |") and "not reproduced" in rows[2] and "0.810" in rows[4]
    assert "toy_left 0.700" in text and "photo_pan" not in text and "do not fully reproduce" in text
