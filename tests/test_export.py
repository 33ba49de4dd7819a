"""Each tab's Download: run the main action through the served app's API, download, open the zip, and check
the manifest and arrays against what the tab returned (tests/api_steps.py; the app is served once)."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
from api_steps import clip
from browser_steps import example

from lib.export import read_arrays, read_manifest

LIBRARIES = {"torch", "transformers", "gradio", "numpy"}


def _download(api_client, api_name: str, *args) -> tuple[dict, list[str], str]:
    path = api_client.predict(*args, api_name=api_name)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    return read_manifest(path), names, path


def _common(manifest: dict, tab: str, clip_name: str | None, models: set[str]) -> None:
    assert manifest["tab"] == tab
    assert LIBRARIES <= {k for k, v in manifest["libraries"].items() if v}
    assert models <= {m["name"] for m in manifest["models"]}
    for model in manifest["models"]:
        if model["source"] == "bundled":
            assert model["version"].startswith("sha256:") and len(model["version"]) == 7 + 64
    if clip_name is None:
        assert manifest["clip"] is None
    else:
        from lib.examples import content_digest

        assert manifest["clip"]["example"] == clip_name
        assert manifest["clip"]["sha256"] == content_digest(example(clip_name).path)


def _cells(rows) -> list[list[str]]:
    return [[str(round(c, 6)) if isinstance(c, float) else str(c) for c in row] for row in rows]


def test_tubes_download_matches_the_tab(api_client):
    from demos.tubes import DEFAULT_ROWS

    rows = {"headers": [str(i) for i in range(9)], "data": DEFAULT_ROWS}
    out = api_client.predict(clip("toy_left"), "tubevit-tiny-toy", 32, 224, rows, api_name="/tubes")
    top, costs = out[1], out[8]
    manifest, names, path = _download(api_client, "/tubes_download")
    _common(manifest, "tubes", "toy_left", {"tubevit-tiny-toy"})
    assert manifest["settings"]["num_frames"] == 32 and len(manifest["settings"]["analysed_tubes"]) == 4
    assert manifest["numbers"]["tokens"] == 539
    assert _cells(manifest["numbers"]["costs"]["rows"]) == _cells(costs["data"])
    shown = {c["label"]: c["confidence"] for c in top["confidences"]}
    assert shown == pytest.approx(manifest["numbers"]["prediction"])
    arrays = read_arrays(path, "result")
    assert arrays["frames"].shape[:2] == (32, 224)
    assert arrays["probabilities"].max() == pytest.approx(max(shown.values()))
    assert {"pictures/pooling.png", "videos/kernels.mp4", "summary.md", "manifest.json"} <= set(names)


def test_attention_download_matches_the_tab(api_client):
    out = api_client.predict(clip("toy_long"), "stpt-tiny-toy", True, "0, 5", api_name="/attention")
    text, costs = out[0], out[1]
    manifest, names, path = _download(api_client, "/attention_download")
    _common(manifest, "attention", "toy_long", {"stpt-tiny-toy", "stpt-global-tiny-toy"})
    assert manifest["settings"]["layers"] == [0, 5]
    assert _cells(manifest["numbers"]["costs"]["rows"]) == _cells(costs["data"])
    assert {"pictures/query.png", "pictures/local_vs_global.png", "summary.md"} <= set(names)
    assert zipfile.ZipFile(path).read("summary.md").decode() == text
    arrays = read_arrays(path, "result")
    maps = [key for key in arrays if key.startswith("main.layers.") and key.endswith(".weights")]
    assert len(maps) == 2 or any(key.startswith("main.layers.1") for key in arrays)


def test_token_merging_download_matches_the_tab(api_client):
    out = api_client.predict(clip("toy_long"), "frame-vit-toy", 20, 4, 10, 3, "pseudo_heads", api_name="/merge")
    summary, table = out[0], out[6]
    tome_summary, _ = api_client.predict(clip("toy_long"), 12, api_name="/tome_encoder")
    manifest, names, path = _download(api_client, "/merge_download")
    _common(manifest, "token_merging", "toy_long", {"frame-vit-toy"})
    assert manifest["numbers"]["merged_tokens"] == 43 and manifest["numbers"]["raw_tokens"] == 2880
    assert _cells(manifest["numbers"]["budgets"]["rows"]) == _cells(table["data"])
    assert manifest["numbers"]["tome"]["r"] == 12 and "tome_summary.md" in names
    assert zipfile.ZipFile(path).read("summary.md").decode() == summary
    assert read_arrays(path, "result")["sequence"].shape[0] == 43


def test_mask_propagation_download_matches_the_tab(api_client):
    out = api_client.predict(clip("toy_left"), "query-segmentor-tiny-toy", "mpvss", 5, api_name="/propagate")
    metrics = out[1]
    manifest, names, path = _download(api_client, "/propagate_download")
    _common(manifest, "mask_propagation", "toy_left", {"query-segmentor-tiny-toy", "mpvss-flow-tiny-toy"})
    for key in ("miou", "gflops_per_frame", "key_frames", "frames"):
        assert manifest["numbers"][key] == metrics[key]
    frames = metrics["frames"]
    assert sum(name.startswith("pictures/masks/frame_") for name in names) == frames
    arrays = read_arrays(path, "propagation")
    assert arrays["labels"].shape[0] == frames and np.nonzero(arrays["is_key"])[0].tolist() == metrics["key_frames"]
    import av

    with av.open(zipfile.ZipFile(path).extract("videos/overlay.mp4", path + ".d")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264" and stream.frames in (0, frames)


def test_long_range_download_matches_the_tab(api_client):
    out = api_client.predict(clip("toy_long"), "chosen video", 900_000, 1024, 1024, api_name="/longrange")
    table = next(o for o in out if isinstance(o, dict) and o.get("headers", [None])[0] == "stage")
    manifest, names, path = _download(api_client, "/longrange_download")
    _common(manifest, "long_range", "toy_long", {"vis4mer-tiny-toy", "vis4mer-attention-tiny-toy"})
    assert _cells(manifest["numbers"]["stages"]["rows"]) == _cells(table["data"])
    assert "pictures/filmstrip.png" in names and read_arrays(path, "result")["kernels"].ndim == 2


def test_training_cost_download_matches_the_tab(api_client):
    from test_training_cost_app import _args

    _, _, _, table, _ = api_client.predict(*_args(None, "toy-world batch", ["bf16"], []), api_name="/training_cost")
    manifest, names, path = _download(api_client, "/training_cost_download", "peak")
    _common(manifest, "training_cost", None, set())
    assert manifest["settings"]["techniques"] == ["bf16"]
    assert _cells(manifest["numbers"]["table"]["rows"]) == _cells(table["data"])
    assert any(name.startswith("figures/cost_bars.") for name in names)


def test_compare_download_holds_both_sides(api_client):
    out = api_client.predict(clip("toy_left"), "tubes", "tubevit-tiny-toy", 0, "vivit-dense-tiny-toy", 0,
                             api_name="/compare")
    table = out[5]
    manifest, names, path = _download(api_client, "/compare_download")
    _common(manifest, "compare", "toy_left", {"tubevit-tiny-toy", "vivit-dense-tiny-toy"})
    numbers = manifest["numbers"]
    assert numbers["A"]["numbers"]["tokens"] == 99 and numbers["B"]["numbers"]["tokens"] == 576
    assert numbers["table"]["rows"] == table["data"]
    assert {"pictures/A.png", "pictures/B.png", "arrays/A.npz", "arrays/B.npz"} <= set(names)
    assert read_arrays(path, "A")["probabilities"].shape == read_arrays(path, "B")["probabilities"].shape


def test_download_before_a_run_says_what_to_do(api_client):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    fresh = Client(api_client.src, verbose=False)  # a new session: nothing run yet
    with pytest.raises(AppError, match="Record attention first"):
        fresh.predict(api_name="/attention_download")
