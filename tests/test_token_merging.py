"""Invariants of bipartite soft matching, source tracing, LongVLM segment merging and the budgets."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.methods.token_merging.budget import (
    pool_reconstruct,
    pooling_grid,
    relative_error,
    segment_similarity,
    token_budgets,
)
from lib.methods.token_merging.merging import (
    bipartite_soft_matching,
    halving_schedule,
    merge_wavg,
    pseudo_head_metric,
    source_matrix,
    trace_sources,
)
from lib.methods.token_merging.segments import global_tokens, merge_segment


def _features(seed: int, b: int = 2, n: int = 37, c: int = 16) -> torch.Tensor:
    return torch.randn(b, n, c, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("n,r,protected", [(37, 5, 0), (36, 18, 0), (37, 100, 1), (10, 3, 2), (5, 0, 0)])
def test_matching_sizes_sum_and_r_cap(n, r, protected):
    x = _features(0, n=n)
    m = bipartite_soft_matching(x, r, protected=protected)
    assert m.r == min(r, (n - protected) // 2)
    merged, size = merge_wavg(m, x)
    assert merged.shape == (2, n - m.r, 16)
    assert torch.allclose(size.sum(dim=1), torch.full((2, 1), float(n)))


def test_every_source_in_exactly_one_token_and_matches_one_hot_source():
    x = _features(1, n=40)
    assignment, size = None, None
    for r in (10, 8, 5):
        m = bipartite_soft_matching(x, r)
        x, size = merge_wavg(m, x, size)
        assignment = trace_sources(m, assignment)
    source = source_matrix(assignment, x.shape[1])  # (B, N, N0)
    assert torch.equal(source.sum(dim=1), torch.ones(2, 40))  # each source patch in exactly one token
    assert torch.equal(source.sum(dim=2), size[..., 0])  # token sizes = number of its sources


def test_wavg_is_the_mean_of_sources():
    x0 = _features(2, n=30)
    x, size, assignment = x0, None, None
    for r in (12, 6, 4):
        m = bipartite_soft_matching(x, r)
        x, size = merge_wavg(m, x, size)
        assignment = trace_sources(m, assignment)
    source = source_matrix(assignment, x.shape[1])
    expected = source @ x0 / source.sum(dim=2, keepdim=True)
    assert torch.allclose(x, expected, atol=1e-5)


def test_protected_tokens_never_merge_and_stay_first():
    x = _features(3, n=21)
    x[:, 0] = x[:, 2]  # a CLS identical to a patch would be the best match if it could merge
    m = bipartite_soft_matching(x, 10, protected=1)
    merged, size = merge_wavg(m, x)
    assert torch.equal(merged[:, 0], x[:, 0])
    assert torch.equal(size[:, 0, 0], torch.ones(2))
    assert torch.equal(m.token_map()[:, 0], torch.zeros(2, dtype=torch.long))


def test_identical_tokens_merge_first():
    x = torch.randn(1, 8, 4, generator=torch.Generator().manual_seed(4))
    x[0, 4] = x[0, 5]  # A position 2 (index 4) duplicates B position 2 (index 5)
    m = bipartite_soft_matching(x, 1)
    assert m.src_idx.tolist() == [[2]] and m.dst_idx.tolist() == [[2]]


def test_unmerge_inverts_shapes_and_copies_tokens():
    x = _features(5, n=25)
    m = bipartite_soft_matching(x, 7)
    merged = m.merge(x)
    back = m.unmerge(merged)
    assert back.shape == x.shape
    assert torch.equal(back.gather(1, m.token_map()[..., None].expand(-1, -1, 0)), x[..., :0])
    # unmerged tokens come back exactly
    assert torch.allclose(m.merge(back, mode="mean"), merged, atol=1e-6)


def test_halving_schedule_matches_longvlm():
    assert halving_schedule(2560, 30) == [1280, 640, 320, 160, 80, 40, 10]
    assert sum(halving_schedule(1960, 30)) == 1930
    with pytest.raises(ValueError):
        halving_schedule(10, 11)


def test_pseudo_heads_average_channel_groups():
    x = torch.arange(32.0).reshape(1, 1, 32)
    out = pseudo_head_metric(x, num_heads=4)
    assert out.shape == (1, 1, 8)
    assert torch.allclose(out[0, 0], torch.arange(8.0) + 12.0)


@pytest.mark.parametrize("metric", ["pseudo_heads", "keys"])
def test_merge_segment_invariants(metric):
    g = torch.Generator().manual_seed(6)
    feats = torch.randn(4, 16, 32, generator=g)
    keys = torch.randn(4, 16, 8, generator=g) if metric == "keys" else None
    seg = merge_segment(feats, 7, metric=metric, keys=keys)
    assert seg.num_tokens == 7 and seg.counts[0] == 64 and seg.counts[-1] == 7
    assert np.all(np.diff(seg.counts) < 0)
    assert seg.sizes.sum() == 64
    assert np.array_equal(np.bincount(seg.assignment, minlength=7), seg.sizes)
    assert seg.steps.shape == (len(seg.counts), 64)
    for row, count in zip(seg.steps, seg.counts):
        assert len(np.unique(row)) == count
    # tokens are the mean of their sources and sorted by mean source position
    recon = seg.unmerge()
    flat = feats.reshape(64, 32).numpy()
    for k in range(7):
        assert np.allclose(seg.tokens[k], flat[seg.assignment == k].mean(axis=0), atol=1e-4)
    mean_pos = np.bincount(seg.assignment, weights=np.arange(64)) / seg.sizes
    assert np.all(np.diff(mean_pos) >= 0)
    assert recon.shape == (64, 32)
    span = seg.frame_span()
    assert np.all(span[:, 0] <= span[:, 1]) and span.min() >= 0 and span.max() <= 3


def test_merge_segment_groups_structure():
    """Two flat regions with noise: no merged token mixes the regions while a same-region partner exists."""
    g = torch.Generator().manual_seed(7)
    feats = 0.01 * torch.randn(3, 16, 8, generator=g)
    feats[:, :8, 0] += 5.0
    feats[:, 8:, 1] += 5.0
    seg = merge_segment(feats, 8, num_heads=1)
    region = np.tile(np.arange(16) >= 8, 3)
    for k in range(seg.num_tokens):
        assert len(np.unique(region[seg.assignment == k])) == 1


def test_global_tokens_average_frames_last_states():
    cls = torch.randn(6, 9, 4)
    out = global_tokens(cls, 5)
    assert out.shape == (5, 4)
    assert torch.allclose(out, cls.mean(0)[-5:])


def test_budgets_longvlm_numbers():
    budgets = {b.name: b.tokens for b in token_budgets(100, 256, 10, 30, 5)}
    assert budgets["raw tokens"] == 25600 and budgets["LongVLM"] == 305
    assert budgets["Video-ChatGPT pooling"] == 356 and budgets["uniform 8 frames"] == 2048
    assert "LLaVA-OneVision frame pooling" not in budgets  # only SigLIP towers feed LLaVA-OneVision


def test_budget_of_the_llm_a_siglip_tower_feeds():
    # SigLIP 2 B/16 at 224 px: 14 x 14 patches, pooled 2x per frame -> 7 x 7 = 49 tokens a frame
    budgets = {b.name: b.tokens for b in token_budgets(60, 196, 10, 30, 5, llava_onevision_grid=(14, 14))}
    assert budgets["LLaVA-OneVision frame pooling"] == 60 * 49
    assert {b.name: b.tokens for b in token_budgets(4, 729, 1, 8, 0, llava_onevision_grid=(27, 27))}[
        "LLaVA-OneVision frame pooling"] == 4 * 196  # its own 384 px SO400M tower: 27 x 27 -> 196 a frame


def test_pooling_grid_and_reconstruction():
    assert np.prod(pooling_grid(10, 16, 16, 30)) == 30
    assert np.prod(pooling_grid(2, 2, 2, 7)) <= 7
    feats = torch.randn(4, 16, 5)
    recon = pool_reconstruct(feats, (4, 4), 64)  # one cell per patch: exact
    assert np.allclose(recon, feats.reshape(64, 5).numpy(), atol=1e-6)
    one = pool_reconstruct(feats, (4, 4), 1)
    assert relative_error(feats.reshape(64, 5).numpy(), one) == pytest.approx(1.0, abs=1e-5)


def test_segment_similarity_scene_change():
    a, b = np.random.default_rng(0).normal(size=(2, 5, 8))
    sims = segment_similarity([a, a + 0.01, b])
    assert sims.shape == (3, 3) and np.allclose(sims, sims.T)
    assert sims[0, 1] > 0.99 and sims[0, 2] < sims[0, 1]
