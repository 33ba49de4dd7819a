"""Fixtures of the full-size hub rehearsal (import them into a test module: `from conftest_rehearsal import *`).

rehearsal_cache: a Hugging Face hub cache of every hub model in the catalog at its real architecture with
seeded random weights (lib.models.rehearsal), in $HUB_REHEARSAL_CACHE or test-output/hub-rehearsal
(git-ignored), written once and reused across runs while the configs match (about 3.7 GB in float32).
rehearsal_server / rehearsal_client: the real app (`python app.py`) in a child process that sees
HF_HUB_CACHE / HF_HOME / HF_HUB_OFFLINE=1 from its start, and a gradio_client Client of it.
rehearsal_clip: one 2 s 640x360 clip of a photograph under camera motion (benchmarks/clips.py).
Use these fixtures from one test module only: a session fixture imported into two modules would run twice.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hub_rehearsal_steps import REPO_ROOT, AppServer

OUTPUT_DIR = REPO_ROOT / "test-output"
REHEARSAL_CACHE = Path(os.environ.get("HUB_REHEARSAL_CACHE") or OUTPUT_DIR / "hub-rehearsal")

__all__ = ["rehearsal_cache", "rehearsal_server", "rehearsal_client", "rehearsal_clip"]


@pytest.fixture(scope="session")
def rehearsal_cache() -> Path:
    import torch

    from lib.models.rehearsal import write_rehearsal_cache

    threads = torch.get_num_threads()
    try:
        write_rehearsal_cache(REHEARSAL_CACHE)
    finally:
        torch.set_num_threads(threads)
    return REHEARSAL_CACHE


@pytest.fixture(scope="session")
def rehearsal_server(rehearsal_cache):
    server = AppServer(rehearsal_cache, OUTPUT_DIR / "hub-rehearsal-app.log")
    yield server
    server.close()


@pytest.fixture(scope="session")
def rehearsal_client(rehearsal_server):
    from gradio_client import Client

    return Client(rehearsal_server.url, verbose=False)


@pytest.fixture(scope="session")
def rehearsal_clip() -> Path:
    from benchmarks.clips import make_clip

    return make_clip(seconds=2.0, width=640, height=360, folder=OUTPUT_DIR / "clips")
