"""Every tab's main action with every hub model, at full size, through gradio_client against the real app.

The app runs in its own process on a rehearsal cache (tests/conftest_rehearsal.py): real architectures,
seeded random weights, the app's own loading code under HF_HUB_OFFLINE=1. Outputs are checked for what
holds whatever the weights (shapes, token counts, key frames, the model's own refusals), never for a
prediction: a random-weight model's output is not a trained prediction (issue 17, item 5).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest_rehearsal import *  # noqa: F403  (the rehearsal fixtures)
from gradio_client.exceptions import AppError
from hub_rehearsal_steps import GPU_ONLY_ENV, HUB_ACTIONS, SAM2_ACTION, AppServer, action_args, call, upload

from lib.models.rehearsal import hub_specs

pytestmark = pytest.mark.slow

# Parameters of the real architectures (STACK.md, measured on the same configs); CLIP: the full checkpoint.
PARAMETERS_M = {"videomae-base-k400": 86.5, "timesformer-base-k400": 121.6, "mask2former-swin-t-ade": 47.4,
                "mask2former-swin-t-cityscapes": 47.4, "clip-vit-b16": 149.6, "clip-vit-l14": 427.6,
                "vit-b16-in1k": 86.6, "siglip2-base-p16-224": 375.2, "dinov2-small": 22.1,
                "vjepa2-vitl-ssv2": 375.5,  # V-JEPA 2: encoder 303.9 M + unused predictor 22.1 M + attentive probe
                "sam2.1-hiera-tiny": 38.96}  # sam2 README: 38.9 M
FRAMES = {"videomae-base-k400": 16, "timesformer-base-k400": 8, "dinov2-small": 8, "vjepa2-vitl-ssv2": 16}
PATCHES_PER_FRAME = {"clip-vit-b16": 196, "clip-vit-l14": 256, "siglip2-base-p16-224": 196, "dinov2-small": 256}


def _refusal(client, api_name: str, args: tuple) -> str:
    try:
        client.predict(*args, api_name=api_name)
    except AppError as err:
        return str(err)
    pytest.fail(f"{api_name} accepted {args!r}; it should have refused them with a sentence")


@pytest.mark.parametrize("spec", hub_specs(), ids=lambda s: s.name)
def test_rehearsal_checkpoint_has_the_real_size(rehearsal_cache, spec):
    from safetensors import safe_open

    from lib.models.rehearsal import repo_folder

    repo = repo_folder(rehearsal_cache, spec.location)
    digest = (repo / "refs" / "main").read_text().strip()
    assert len(digest) == 40 and all(c in "0123456789abcdef" for c in digest)
    with safe_open(repo / "snapshots" / digest / "model.safetensors", "pt") as weights:
        count = sum(_numel(weights.get_slice(key).get_shape()) for key in weights.keys())
    assert count / 1e6 == pytest.approx(PARAMETERS_M[spec.name], abs=0.1)


def _numel(shape) -> int:
    total = 1
    for n in shape:
        total *= int(n)
    return total


def _check_attention(action, out) -> None:
    costs, stats, layer_slider, frame_slider = out[1], out[3], out[9], out[11]
    assert costs["data"][0][0] == action.model and float(costs["data"][0][3]) > 0  # recorded maps (MB)
    traces = json.loads(stats["plot"])["data"]
    assert len(traces[0]["x"]) == layer_slider["maximum"] + 1  # one point per recorded layer view
    assert 2 <= len(traces[0]["x"]) <= 4  # blocks 0 and 1 (time and space each for divided attention)
    assert all("block" in text for text in traces[0]["text"])
    assert frame_slider["maximum"] == FRAMES[action.model] - 1
    assert all(isinstance(image, str) and Path(image).suffix == ".png" for image in out[4:7])


def _check_merge(action, out) -> None:
    raw = 8 * PATCHES_PER_FRAME[action.model]
    assert f"**{raw:,} patch tokens -> 65 tokens**" in out[0] and f"encoder `{action.model}`" in out[0]
    rows = {row[0]: row[1] for row in out[6]["data"]}
    assert rows["raw tokens"] == raw and rows["LongVLM"] == 65


def _check_propagate(action, out) -> None:
    video, metrics = out[0], out[1]
    path = video["video"] if isinstance(video, dict) else video
    assert Path(path).suffix == ".mp4" and Path(path).stat().st_size > 1000
    from lib.methods.mask_propagation.hub_frames import HUB_MAX_FRAMES, MIN_HUB_FRAMES

    # the frames read are fitted to this machine's speed (3 to 12); k = 5
    # becomes the frames read where fewer are read
    assert metrics["segmentor"] == action.model and MIN_HUB_FRAMES <= metrics["frames"] <= HUB_MAX_FRAMES
    assert metrics["k"] == min(5, metrics["frames"])
    assert metrics["key_frames"] == list(range(0, metrics["frames"], metrics["k"]))
    assert metrics["gflops_per_frame"] < metrics["per_frame_segmentation_gflops"]


def _check_tubes(action, out) -> None:
    summary = out[0]
    assert "tube tokens" in summary and "32x224x" in summary
    table = next(o for o in out if isinstance(o, dict) and o.get("headers") and "tokeniser" in o["headers"])
    tokens = [row[1] for row in table["data"]]
    assert len(tokens) == 3 and 0 < tokens[0] < tokens[1] < tokens[2]


def _check_attention_2026(action, out) -> None:
    """DINOv2-S: 8 frames, 16x16 patches + a CLS per frame, its CLS heads drawn; V-JEPA 2: 2x16x16 tubelets, the
    maps of the blocks asked for, the distance / entropy curve of all 24 blocks."""
    if action.model == "vjepa2-vitl-ssv2":
        traces = json.loads(out[3]["plot"])["data"]
        assert len(traces[0]["x"]) == 24 and out[9]["maximum"] == 1  # 24 blocks plotted, 2 kept for the views
        assert [t for t in traces[0]["text"] if "maps kept" in t] == ["block 0 · maps kept", "block 1 · maps kept"]
        assert out[11]["maximum"] == FRAMES[action.model] - 1
    else:
        _check_attention(action, out)
    text, cls_image = out[0], out[14]  # the CLS heads: the last output
    if action.model == "dinov2-small":
        assert "8 frames x 224x224 px -> patches 14x14 -> a 8x16x16 grid = 2,048 tokens + a CLS token per frame" in text
        assert "image encoder" in text and "Prediction" not in text
        assert isinstance(cls_image, str) and Path(cls_image).suffix == ".png"
    else:
        assert "16 frames x 256x256 px -> tubelets 2x16x16 -> a 8x16x16 grid = 2,048 tokens" in text
        assert cls_image is None  # no CLS token


CHECKS = {"/attention": _check_attention, "/merge": _check_merge, "/propagate": _check_propagate,
          "/tubes": _check_tubes}


GPU_ONLY = {"vjepa2-vitl-ssv2"}
CPU_ACTIONS = [a for a in HUB_ACTIONS if a.model not in GPU_ONLY]


@pytest.mark.parametrize("action", CPU_ACTIONS, ids=lambda a: f"{a.api_name[1:]}-{a.model}")
def test_main_action_runs_the_full_size_model(rehearsal_client, rehearsal_clip, action):
    out = call(rehearsal_client, action, upload(rehearsal_clip), quick=True)
    check = _check_attention_2026 if action.key == "attention:dinov2-small" else CHECKS[action.api_name]
    check(action, out)


def test_vjepa2_is_not_offered_on_a_cpu(rehearsal_client, rehearsal_clip):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: V-JEPA 2 is offered (test_vjepa2_runs_the_full_size_model)")
    sentence = _refusal(rehearsal_client, "/attention", (upload(rehearsal_clip), "vjepa2-vitl-ssv2", False, "0, 1"))
    assert "not in the list of choices" in sentence  # not offered on a CPU (the dropdown's info says why)


def test_sam2_is_refused_on_a_cpu_with_the_sentence(rehearsal_client, rehearsal_clip):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: SAM 2 runs (test_sam2_runs_the_full_size_model_on_a_gpu)")
    sentence = _refusal(rehearsal_client, "/propagate", action_args(SAM2_ACTION, upload(rehearsal_clip), quick=True))
    assert "sam2.1-hiera-tiny needs a GPU: on a 2-core CPU it took" in sentence and "s a frame" in sentence


def test_sam2_runs_the_full_size_model_on_a_gpu(rehearsal_client, rehearsal_clip):
    import torch

    if not torch.cuda.is_available():  # 15+ minutes on a 2-core CPU: the refusal above is what CI checks there
        pytest.skip("no GPU: SAM 2 is refused on a CPU (test_sam2_is_refused_on_a_cpu_with_the_sentence)")
    metrics = call(rehearsal_client, SAM2_ACTION, upload(rehearsal_clip), quick=True)[1]
    assert metrics["flow"] == "sam2" and metrics["key_frames"] == [0] and metrics["k"] == metrics["frames"] >= 10
    assert metrics["gflops_per_frame"] > 100 * metrics["per_frame_segmentation_gflops"]  # Hiera at 1024^2 per frame


@pytest.fixture(scope="module")
def gpu_only_client(rehearsal_cache):
    """A second app on the same cache that runs the GPU-only V-JEPA 2 on whatever this machine has."""
    from conftest_rehearsal import OUTPUT_DIR
    from gradio_client import Client

    server = AppServer(rehearsal_cache, OUTPUT_DIR / "hub-rehearsal-gpu-only-app.log", extra_env=GPU_ONLY_ENV)
    yield Client(server.url, verbose=False)
    server.close()


def test_vjepa2_runs_the_full_size_model(gpu_only_client, rehearsal_clip):
    action = next(a for a in HUB_ACTIONS if a.model == "vjepa2-vitl-ssv2")
    out = call(gpu_only_client, action, upload(rehearsal_clip), quick=True)  # blocks 0 and 1 of 24, 16 frames
    _check_attention_2026(action, out)
    assert float(out[1]["data"][0][3]) == pytest.approx(2 * 16 * 2048**2 * 2 / 1e6, rel=0.01)  # 2 x 134 MB fp16


@pytest.mark.parametrize("model", ["videomae-base-k400", "timesformer-base-k400"])
def test_attention_refuses_layers_the_checkpoint_lacks(rehearsal_client, rehearsal_clip, model):
    sentence = _refusal(rehearsal_client, "/attention", (upload(rehearsal_clip), model, False, "99"))
    assert "layers 0..11" in sentence


def test_token_merging_refuses_more_segments_than_frames_with_clip(rehearsal_client, rehearsal_clip):
    action = next(a for a in HUB_ACTIONS if a.model == "clip-vit-b16")
    args = list(action_args(action, upload(rehearsal_clip), quick=True))
    args[2], args[3] = 5, 8
    assert "More segments (8) than frames (5)" in _refusal(rehearsal_client, "/merge", tuple(args))


def test_inflated_tubevit_refuses_too_few_frames(rehearsal_client, rehearsal_clip):
    action = next(a for a in HUB_ACTIONS if a.api_name == "/tubes")
    args = list(action_args(action, upload(rehearsal_clip), quick=True))
    args[2] = 8
    assert "needs 20 frames" in _refusal(rehearsal_client, "/tubes", tuple(args))
