"""The app shell: import starts nothing, every tab builds, the chooser answers through the API."""
from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from api_steps import refusal, upload

from lib.examples import list_examples
from lib.video import VideoError, load_clip

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_import_builds_without_serving():
    # A fresh interpreter: in this process the `app_url` fixture may already have launched the app.
    code = ("import app, gradio as gr; assert isinstance(app.demo, gr.Blocks); "
            "assert getattr(app.demo, 'server', None) is None, 'importing app started a server'")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_every_listed_tab_has_a_builder():
    import app

    for title, module_name in app.TABS:
        module = importlib.import_module(module_name)
        assert callable(getattr(module, "build_tab", None)), f"{title}: {module_name}.build_tab missing"


def test_examples_are_bundled_with_provenance():
    examples = list_examples()
    assert len(examples) >= 3
    for ex in examples:
        assert ex.provenance, f"{ex.name} has no provenance"
        assert ex.path.stat().st_size > 0


def _corrupt_video(tmp_path):
    bad = tmp_path / "broken.mp4"
    # An MP4 signature followed by garbage: looks like a video by name and magic, decodes as nothing.
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(VideoError) as err:
        load_clip(str(bad))
    return bad, str(err.value)


def test_describe_video_through_api(api_client):
    example = list_examples()[0]
    strip, facts = api_client.predict(upload(example.path), api_name="/describe_video")
    assert strip is not None
    table = {row[0]: row[1] for row in facts["data"]}
    clip = load_clip(str(example.path), num_frames=8)
    assert table["frames sampled"] == "8"
    assert table["fps"] == f"{clip.fps:.2f}"


def test_corrupt_video_through_api_gives_the_sentence(api_client, tmp_path):
    bad, sentence = _corrupt_video(tmp_path)
    assert sentence in refusal(api_client, "/describe_video", upload(bad))


def test_overview_filmstrip_shows_sampled_frames():
    from lib.methods.overview import render_overview, run_overview

    example = list_examples()[0]
    overview = run_overview(str(example.path), num_frames=4, short_side=64)
    strip = render_overview(overview, height=50)
    assert strip.shape[0] == 50 and strip.dtype == np.uint8
    assert overview.num_source_frames >= overview.clip.num_frames == 4
