"""Disk: the app writes only under Gradio's cache (purged on a schedule) or folders it deletes.

The served app gets its own cache (GRADIO_TEMP_DIR) and temp folder (TMPDIR); a purge every second of files
older than ten seconds (VIDEO_EXPLORER_CACHE_PURGE="1,10") must empty the cache of what a call left there.
The age leaves room between the upload and the call that opens it (one second lost the upload in CI).
tests/test_bad_inputs.py measures the disk after 1,000 calls and checks every endpoint leaves no temp file.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from tests.test_bad_inputs import Served


def test_default_purge_schedule():
    import app

    assert app.demo.delete_cache == app.CACHE_PURGE == (3600, 7200)


@pytest.fixture(scope="module")
def purging_server(tmp_path_factory):
    served = Served(tmp_path_factory.mktemp("disk-app"), {"VIDEO_EXPLORER_CACHE_PURGE": "1,10"})
    yield served
    served.close()


def _cached_files(server) -> list:
    return [f for f in server.cache.rglob("*") if f.is_file()]


def test_cache_purge_deletes_uploads_and_outputs(purging_server, tmp_path):
    """What a call cached (its upload, its filmstrip) is purged; the page's own start-up files are kept."""
    from gradio_client import Client, handle_file

    from tests.bad_inputs_corpus import encode

    clip = tmp_path / "upload.mp4"
    clip.write_bytes(encode(np.random.default_rng(3), height=64, width=96, n=10))
    before = set(_cached_files(purging_server))
    Client(purging_server.url, verbose=False).predict(handle_file(str(clip)), api_name="/describe_video")
    deadline = time.monotonic() + 90  # a deadline, not a measurement: files go ten seconds after they came
    while time.monotonic() < deadline and set(_cached_files(purging_server)) - before:
        time.sleep(0.5)
    assert set(_cached_files(purging_server)) - before == set()
    assert purging_server.temp_files() == []
