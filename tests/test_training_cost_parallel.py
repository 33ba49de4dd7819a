"""Data parallelism with 2 gloo processes on this CPU: replicas stay identical, ZeRO-1 shards AdamW's state."""
from __future__ import annotations

import pytest

from lib.methods.training_cost import parallel_table, render_training_cost, run_data_parallel

TINY = dict(batch_size=2, num_frames=4, image_size=32, dim=64, depth=2, heads=2, steps=2)


@pytest.mark.slow
def test_zero1_keeps_half_the_optimiser_state_per_process():
    ddp, zero = run_data_parallel(None, **TINY)
    assert ddp.mode == "ddp" and zero.mode == "zero1"
    assert ddp.replicas_identical and zero.replicas_identical  # gradients were averaged across processes
    full = ddp.optimizer_state_bytes[0]
    assert ddp.optimizer_state_bytes == (full, full)
    assert all(0 < share < 0.6 * full for share in zero.optimizer_state_bytes)
    assert sum(zero.optimizer_state_bytes) == pytest.approx(full, rel=0.01)  # every parameter's state, once
    assert zero.losses == pytest.approx(ddp.losses, rel=1e-5)  # same arithmetic, only where the state lives
    assert max(zero.peak_bytes) < max(ddp.peak_bytes)
    assert len(parallel_table((ddp, zero))) == 4
    taxonomy, *_ = render_training_cost(None, parallel=(ddp, zero))
    trace = taxonomy.data[0]
    assert "ZeRO-1" in dict(zip(trace.ids, trace.labels))["data_parallel"]
