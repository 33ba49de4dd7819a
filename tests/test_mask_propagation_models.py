"""Query segmentor and MPVSS motion module shapes, hub Mask2Former path, propagation bookkeeping, cost sweep."""
import numpy as np
import pytest
import torch

from lib.errors import UserInputError
from lib.hooks.flops import count_flops
from lib.methods.mask_propagation import CostSweep, cost_figure
from lib.methods.mask_propagation.data import CLIP_CONFIG, backward_flows, toy_clip
from lib.methods.mask_propagation.flow_model import MPVSSFlow
from lib.methods.mask_propagation.metrics import warp_error
from lib.methods.mask_propagation.motion import FlowMethod
from lib.methods.mask_propagation.propagate import key_frames, propagate
from lib.methods.mask_propagation.segmentor_model import QuerySegmentor, semantic_probs
from lib.methods.mask_propagation.segmentors import (
    KeyFrameSegmentor,
    hub_class_names,
    labels_from_painting,
    painted_segmentation,
)
from lib.methods.mask_propagation.sweep import sweep_clip
from lib.models import save_bundled


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    seg = QuerySegmentor(num_classes=3, num_queries=4, dim=16, widths=[16, 16, 32], num_layers=2, num_heads=2)
    motion = MPVSSFlow(query_dim=16, num_queries=4, dim=16, widths=[8, 8, 16, 16], num_layers=2, num_heads=2)
    return seg.eval(), motion.eval()


def test_query_segmentor_shapes_on_odd_sizes(tiny):
    seg, _ = tiny
    out = seg(torch.rand(2, 3, 50, 70))
    assert out.class_logits.shape == (2, 4, 4)
    assert out.mask_logits.shape == (2, 4, 13, 18)  # ceil(H / 4), ceil(W / 4)
    assert out.queries.shape == (2, 4, 16) and len(out.aux) == 1
    scores = semantic_probs(out.class_logits, out.mask_logits, (50, 70))
    assert scores.shape == (2, 3, 50, 70) and (scores >= 0).all()


def test_query_flow_shapes_and_fusion_starts_as_pixel_flow(tiny):
    _, motion = tiny
    cur, key = torch.rand(2, 3, 60, 90), torch.rand(2, 3, 60, 90)
    out = motion(cur, key, torch.randn(2, 4, 16))
    assert out.pixel_flow.shape == (2, 2, 8, 12)          # ceil(H / 8), ceil(W / 8)
    assert out.query_flow.shape == (2, 4, 2, 8, 12)       # one flow per query
    # The fusion conv is initialised to pass the pixel flow through (training then mixes in query flow).
    assert torch.allclose(out.query_flow, out.pixel_flow[:, None].expand_as(out.query_flow), atol=1e-6)
    assert motion(cur, key, None).query_flow is None


def test_query_flow_depends_on_the_queries_after_training_the_fusion(tiny):
    _, motion = tiny
    trained = MPVSSFlow(**motion.bundled_config)
    trained.load_state_dict(motion.state_dict())
    with torch.no_grad():
        trained.fuse.weight[:, 2:] = 0.5  # give the query-flow channels a say
    cur, key = torch.rand(1, 3, 64, 64), torch.rand(1, 3, 64, 64)
    flows = trained(cur, key, torch.randn(1, 4, 16)).query_flow[0]
    assert not torch.allclose(flows[0], flows[1])


def test_bundled_models_save_and_load(tiny, tmp_path):
    seg, motion = tiny
    for model, cls in ((seg, QuerySegmentor), (motion, MPVSSFlow)):
        save_bundled(model, tmp_path / cls.__name__)
        loaded = cls.from_pretrained(tmp_path / cls.__name__, strict=True)
        for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
            assert torch.equal(a, b)


@pytest.mark.slow
def test_hub_mask2former_as_key_frame_segmentor():
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

    swin = SwinConfig(image_size=64, embed_dim=16, depths=[1, 1, 1, 1], num_heads=[1, 1, 2, 2], window_size=4,
                      out_features=["stage1", "stage2", "stage3", "stage4"])
    config = Mask2FormerConfig(backbone_config=swin, hidden_dim=32, mask_feature_size=32, feature_size=32,
                               encoder_feedforward_dim=32, dim_feedforward=32, num_queries=5, num_labels=3,
                               decoder_layers=2, encoder_layers=1, num_attention_heads=2,
                               id2label={0: "road", 1: "car", 2: "sky"}, label2id={"road": 0, "car": 1, "sky": 2})
    torch.manual_seed(0)
    model = Mask2FormerForUniversalSegmentation(config).eval()
    seg = KeyFrameSegmentor(model, "mask2former", hub_class_names(model))
    frames = (np.random.default_rng(0).random((2, 64, 64, 3)) * 255).astype(np.uint8)
    out = seg.segment(frames)  # its FLOPs are counted on this first segmentation (no extra forward)
    with torch.no_grad():  # a separate count of one frame's forward agrees with it
        alone = count_flops(lambda: seg._forward(seg._pixels(frames[:1]))).total
    assert seg.flops(64, 64) == alone > 0
    assert len(out) == 2 and out[0].class_names == ("road", "car", "sky")
    assert out[0].class_probs.shape == (5, 3) and out[0].mask_logits.shape == (5, 16, 16)
    assert out[0].queries.shape == (5, 32)
    assert out[0].labels((64, 64)).shape == (64, 64) and seg.flops(64, 64) > 0
    # Its 32-wide queries do not fit a motion module trained on 16-wide ones: MPVSS falls back to pixel flow.
    assert not FlowMethod("mpvss", MPVSSFlow(query_dim=16, num_queries=4, dim=16, widths=[8, 8, 16, 16],
                                              num_layers=1, num_heads=2)).uses_queries(out[0])


def test_key_frames_and_bad_intervals():
    assert key_frames(7, 3).tolist() == [True, False, False, True, False, False, True]
    with pytest.raises(UserInputError, match="single frame"):
        key_frames(1, 1)
    with pytest.raises(UserInputError, match="between 1 and"):
        key_frames(8, 9)


def test_painting_to_labels_and_empty_painting():
    layer = np.zeros((20, 20, 4), np.uint8)
    layer[2:8, 2:8] = (230, 25, 75, 255)
    layer[10:15, 10:18] = (60, 180, 75, 255)
    labels = labels_from_painting(layer)
    assert set(np.unique(labels)) == {0, 1, 2} and (labels[2:8, 2:8] == 1).all() and (labels[10:15, 10:18] == 2).all()
    with pytest.raises(UserInputError, match="Nothing is painted"):
        painted_segmentation(labels_from_painting(np.zeros((20, 20, 4), np.uint8)))


def test_painted_masks_follow_a_known_shift_and_stay_put_without_flow():
    frames = np.zeros((4, 32, 32, 3), np.uint8)
    labels = np.zeros((32, 32), np.int32)
    labels[8:16, 8:16] = 1
    first = painted_segmentation(labels)
    still = propagate(frames, FlowMethod("none"), 2, segment=lambda i: first, chained=True)
    assert all((still.labels[t] == labels).all() for t in range(4))
    assert still.flops.sum() == 0 and still.is_key.tolist() == [True, False, True, False]


def test_exact_backward_flow_warps_the_key_frame_onto_the_current_one():
    clip = toy_clip(500_123)
    flow = backward_flows(500_123, CLIP_CONFIG, clip.instance, [(6, 0)])[0]
    assert warp_error(clip.frames[6], clip.frames[0], flow) < 0.6 * warp_error(clip.frames[6], clip.frames[0],
                                                                                np.zeros_like(flow))


def test_cost_sweep_is_built_from_counted_flops(tiny):
    seg_model, motion = tiny
    seg = KeyFrameSegmentor(seg_model, "bundled", ("a", "b", "c"))
    frames = toy_clip(500_001).frames[:7, :64, :64]
    segs = seg.segment(frames)
    reference = np.stack([s.labels((64, 64)) for s in segs])
    methods = {"mpvss": FlowMethod("mpvss", motion), "none": FlowMethod("none")}
    seg_flops = seg.flops(64, 64)
    points = sweep_clip(frames, segs, reference, methods, (1, 5), key_flops=seg_flops, key_seconds=0.01,
                        num_classes=3)
    by = {(p.method, p.k): p for p in points}
    assert by[("per-frame", 1)].miou == pytest.approx(1.0)  # k=1 is the reference itself
    motion_flops = methods["mpvss"].flops(64, 64, segs[0])
    assert 0 < motion_flops < seg_flops
    assert by[("mpvss", 5)].flops == 2 * seg_flops + 5 * motion_flops  # keys 0 and 5, 5 warped frames
    assert by[("none", 5)].flops == 2 * seg_flops
    fig = cost_figure(CostSweep(tuple(points), "per-frame segmentation"))
    xs = sorted(x for trace in fig.data for x in trace.x)
    per_frame = by[("per-frame", 1)].gflops_per_frame
    assert xs == pytest.approx(sorted([p.gflops_per_frame for p in points] + [per_frame] * 2))
