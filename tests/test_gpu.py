"""ZeroGPU (issue 13, item 6): demos.gpu decorates the model runs, and those runs survive ZeroGPU's process boundary.

Off ZeroGPU the decorator must give back the very function (spaces.GPU does the same: checked here). On ZeroGPU,
spaces.GPU runs the function in a forked worker and pickles its arguments and its result across, so each tab's
decorated model run is called here the way it would be there: arguments and result round-tripped through pickle.
"""
from __future__ import annotations

import pickle
import sys
import types

import gradio as gr
import pytest
from browser_steps import example

import demos.gpu as gpu_module
from demos.gpu import DURATIONS, ProgressRelay, gpu


def _square(x: int) -> int:
    return x * x


def test_off_zero_gpu_the_function_is_returned_unchanged(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    assert gpu(30)(_square) is _square
    with pytest.raises(ValueError):
        gpu(0)


def test_spaces_gpu_is_a_no_op_off_zero_gpu(monkeypatch):
    spaces = pytest.importorskip("spaces")  # requirements.txt has it; the check is on the installed version
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)
    assert spaces.GPU(duration=30)(_square) is _square and spaces.GPU(_square) is _square


def test_on_zero_gpu_spaces_gpu_gets_the_duration(monkeypatch):
    calls = []

    def fake_gpu(*, duration):
        calls.append(duration)
        return lambda fn: ("on the GPU", fn)

    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    monkeypatch.setitem(sys.modules, "spaces", types.SimpleNamespace(GPU=fake_gpu))
    assert gpu_module.on_zero_gpu() and gpu(45)(_square) == ("on the GPU", _square) and calls == [45]


def test_every_main_action_has_its_model_run_decorated():
    import app  # noqa: F401  (imports every tab)

    expected = {"demos.tubes.compute", "demos.attention.compute", "demos.token_merging.compute_merge",
                "demos.token_merging.compute_tome", "demos.mask_propagation.compute",
                "demos.mask_propagation.compute_sweep", "demos.long_range.compute", "demos.long_range.compute_curves",
                "demos.training_cost.compute_steps", "demos.compare.compute"}
    assert expected <= set(DURATIONS)
    assert all(10 <= DURATIONS[name] <= 300 for name in expected)  # ZeroGPU's range of sensible durations


def across(value):
    """`value` as the other side of a ZeroGPU call sees it (pickled by spaces' worker queues)."""
    return pickle.loads(pickle.dumps(value))


def _call_across(fn, *args):
    return across(fn(*across(args)))


def test_progress_relay_crosses_and_reports():
    seen = []

    class Recorder:  # stands in for gr.Progress: called as progress(fraction, desc=...)
        def __call__(self, fraction, desc=None):
            seen.append((fraction, desc))

    across(ProgressRelay(gr.Progress()))(0.5, "half way")  # gr.Progress pickles; outside an event it is silent
    ProgressRelay(Recorder())(0.25, "decoding")
    assert seen == [(0.25, "decoding")]


@pytest.mark.slow
def test_the_model_runs_cross_the_process_boundary():
    """Each decorated model run, called with pickled arguments, returns a result that pickles, on a toy clip."""
    from demos import attention, compare, long_range, mask_propagation, token_merging, training_cost, tubes
    from lib.methods.compare import Setting

    clip, progress = str(example("toy_left").path), gr.Progress()
    result = _call_across(tubes.compute, clip, "tubevit-tiny-toy", 32, 64)
    assert result.layout.num_tokens > 0
    result = _call_across(attention.compute, clip, "stpt-tiny-toy", False, [0], "both", None)
    assert len(result.main.layers) == 1
    result = _call_across(token_merging.compute_merge, clip, "frame-vit-toy", 8, 2, 4, 1, "pseudo_heads", progress)
    assert result.num_segments == 2
    assert _call_across(token_merging.compute_tome, clip, 4) is not None
    propagated = _call_across(mask_propagation.compute, clip, "query-segmentor-tiny-toy", "mpvss", 5, None, progress)
    assert len(propagated.frames) > 0
    result = _call_across(long_range.compute, None, 900_000, 256, 256.0, progress)
    assert len(result.frame_indices) > 0
    result = _call_across(compare.compute, clip, "tubes", Setting("tubevit-tiny-toy", None),
                          Setting("vivit-dense-tiny-toy", None), progress)
    assert result.num_frames > 0
    steps = training_cost.compute_steps(None, "toy-world batch", ("bf16",), (), 0.5, 2, 4, 1, 4, 32, 64, 2, 2, 64.0)
    assert [across(step) for step in steps]  # a generator: each measured result crosses as it comes
