"""Bad and odd files through the served app (`python app.py` in its own process) with gradio_client.

Every answer is a result or a sentence (never the client's "no message", a traceback or a hang), the server's
RSS stays under 2 GB, and it is alive and correct afterwards. The corpus is tests/bad_inputs_corpus.py (seeded).
Fast by default: one file of every kind through /describe_video and /tubes, and raw API requests Gradio itself
refuses. Slow: all 1,008 files through /describe_video, and a stratified sample of 105 (every kind) through
every other main endpoint.
"""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.bad_inputs_corpus import KINDS, CorpusFile, build_corpus, stratified

SEED, COUNT = 16, 1008  # 36 files of each of the 28 kinds
CALL_TIMEOUT_S = 180.0  # an answer later than this counts as a hang
RSS_LIMIT = 2e9
NO_MESSAGE = "The upstream Gradio app has raised an exception but has not enabled"
# Main endpoints: (name of the video argument, other arguments; cheap settings, the answer is what is tested).
ENDPOINTS: dict[str, tuple[str, dict]] = {
    "/tubes": ("path", {}),
    "/attention": ("video", {"model_name": "stpt-tiny-toy", "compare_value": False}),
    "/propagate": ("path", {}),
    "/longrange": ("video", {"source_name": "chosen video", "frames_value": 256}),
    "/training_cost": ("video", {"data": "chosen clip", "techniques": ["bf16"], "combination": ["bf16"],
                                 "steps": 2, "depth": 2, "batch_size": 2, "num_frames": 4, "image_size": 32,
                                 "width": 64}),
    "/compare": ("path", {}),
    "/merge": ("video", {"num_frames": 24, "num_segments": 4, "tokens_per_segment": 20, "num_global": 2}),
    "/tome_encoder": ("video", {"r": 20}),
}


@dataclass(frozen=True)
class Answer:
    """What one call got back: "result", "sentence", "no message", "not a sentence" or "hang"."""

    file: CorpusFile | None
    api: str
    kind: str
    text: str


def is_sentence(text: str) -> bool:
    """An error text a person can act on: not the client's placeholder, no traceback, ends like a sentence."""
    text = text.strip()
    return bool(text) and NO_MESSAGE not in text and "Traceback" not in text and text[-1] in ".!?)"


def call(client, api: str, file: CorpusFile | None, **arguments) -> Answer:
    """One gradio_client call; the answer classified (see Answer)."""
    from gradio_client.exceptions import AppError

    job = client.submit(api_name=api, **arguments)
    try:
        job.result(timeout=CALL_TIMEOUT_S)
        return Answer(file, api, "result", "")
    except AppError as err:
        text = str(err)
        kind = "no message" if NO_MESSAGE in text else "sentence" if is_sentence(text) else "not a sentence"
        return Answer(file, api, kind, text)
    except TimeoutError:
        return Answer(file, api, "hang", "")


def run_files(server, api: str, files: list[CorpusFile], workers: int = 2) -> list[Answer]:
    """Every file through `api` (each worker its own client, so its own session), answers in file order."""
    from gradio_client import Client, handle_file

    param, extra = ENDPOINTS.get(api, ("path", {}))
    local = threading.local()

    def one(file: CorpusFile) -> Answer:
        if not hasattr(local, "client"):  # a busy server answers /config slowly: wait as long as for a call
            local.client = Client(server.url, verbose=False, httpx_kwargs={"timeout": CALL_TIMEOUT_S})
        return call(local.client, api, file, **{param: handle_file(str(file.path))}, **extra)

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, files))


def wrong(answers: list[Answer]) -> list[str]:
    """Lines describing every answer that is neither a result nor a sentence."""
    return [f"{a.api} {a.file.kind if a.file else ''} {a.file.path.name if a.file else ''}: {a.kind} {a.text[:200]!r}"
            for a in answers if a.kind not in ("result", "sentence")]


class Served:
    """The app in its own process, with its peak RSS sampled every 0.1 s."""

    def __init__(self, tmp, extra_env: dict[str, str] | None = None):
        import psutil

        from tests.hub_rehearsal_steps import AppServer

        self.cache, self.temp = tmp / "gradio-cache", tmp / "temp"  # the app's own: all it writes lands here
        self.cache.mkdir()
        self.temp.mkdir()
        env = {"GRADIO_TEMP_DIR": str(self.cache), "TMPDIR": str(self.temp)} | (extra_env or {})
        self.app = AppServer(tmp / "empty-hub-cache", tmp / "app.log", extra_env=env)
        self.url = self.app.url
        self.process = psutil.Process(self.app.process.pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, self.process.memory_info().rss)
            except Exception:  # noqa: BLE001 - the process ended; alive() reports it
                return
            time.sleep(0.1)

    def reset_peak(self) -> None:
        """Start a new peak from the current RSS (each test reports its own)."""
        self.peak_rss = self.process.memory_info().rss

    def disk_bytes(self) -> int:
        """Bytes of every file under the app's cache and temp folders."""
        return sum(f.stat().st_size for folder in (self.cache, self.temp) for f in folder.rglob("*") if f.is_file())

    def temp_files(self) -> list[str]:
        """Files left in the temp folder (outside Gradio's cache): each one a leak."""
        return sorted(str(f.relative_to(self.temp)) for f in self.temp.rglob("*") if f.is_file())

    def alive(self) -> bool:
        return self.app.process.poll() is None

    def close(self) -> None:
        self._stop.set()
        self.app.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Kept results are capped low, so the RSS measured is the requests' own, not 1,000 results kept for reuse
    # (the default 2.5 GB store is the results' budget, tests/test_session_memory.py).
    served = Served(tmp_path_factory.mktemp("bad-inputs-app"), {"VIDEO_EXPLORER_RESULTS_MB": "200"})
    yield served
    served.close()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[CorpusFile]:
    return build_corpus(tmp_path_factory.mktemp("bad-inputs-corpus"), seed=SEED, count=COUNT)


def example_facts(server) -> list:
    """The facts table of the first bundled example, as the upload endpoint answers it."""
    from gradio_client import Client, handle_file

    from tests.browser_steps import example

    _, facts = Client(server.url, verbose=False).predict(handle_file(str(example("toy_bounce").path)),
                                                         api_name="/describe_video")
    return facts["data"]


def test_corpus_is_deterministic_and_has_every_kind(tmp_path):
    first = build_corpus(tmp_path / "a", seed=SEED, count=2 * len(KINDS))
    again = build_corpus(tmp_path / "b", seed=SEED, count=2 * len(KINDS))
    assert [f.path.read_bytes() for f in first] == [f.path.read_bytes() for f in again]
    assert {f.kind for f in first} == set(KINDS) and len(KINDS) >= 25
    other = build_corpus(tmp_path / "c", seed=SEED + 1, count=2 * len(KINDS))
    assert sum(a.path.read_bytes() != b.path.read_bytes() for a, b in zip(first, other)) > len(KINDS)


def test_one_file_of_every_kind_gets_a_sentence_or_a_result(server, corpus):
    before = example_facts(server)
    sample = stratified(corpus, per_kind=1)
    answers = run_files(server, "/describe_video", sample) + run_files(server, "/tubes", sample)
    assert wrong(answers) == []
    by_file = {a.file.path: a.kind for a in answers if a.api == "/describe_video"}
    assert by_file[next(f.path for f in sample if f.kind == "valid")] == "result"
    assert by_file[next(f.path for f in sample if f.kind == "text")] == "sentence"
    assert server.alive() and example_facts(server) == before
    assert server.peak_rss < RSS_LIMIT, f"server peak RSS {server.peak_rss / 1e9:.2f} GB"


def _raw_call(url: str, api: str, data: list) -> str:
    """POST `data` to the raw API, as a careless client would; the event stream that comes back."""
    request = urllib.request.Request(f"{url}gradio_api/call{api}", data=json.dumps({"data": data}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        event = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{url}gradio_api/call{api}/{event}", timeout=CALL_TIMEOUT_S) as response:
        return response.read().decode()


def test_requests_gradio_refuses_still_carry_a_message(server, tmp_path):
    """A missing file, a path outside the upload folder, a dangling symlink, a non-file value: Gradio refuses
    them before the app runs; the client still gets the reason (launch's show_error), never null."""
    os.symlink(tmp_path / "gone.mp4", tmp_path / "dangling.mp4")

    def file(path):
        return {"path": str(path), "meta": {"_type": "gradio.FileData"}}

    requests = ([file("/tmp/gradio/nothing-here/clip.mp4")], [file("/etc/hostname")], [file(tmp_path / "dangling.mp4")],
                [42], ["clip.mp4"], [])
    for data in requests:
        for api in ("/describe_video", "/tubes"):
            stream = _raw_call(server.url, api, data)
            if "event: complete" in stream:
                continue  # taken as "no video": an answer
            assert "event: error" in stream, stream
            payload = json.loads(stream.split("event: error", 1)[1].split("data:", 1)[1].strip().splitlines()[0])
            assert payload["error"], f"{api} {data}: no message in {stream!r}"
    assert server.alive()


@pytest.mark.slow
def test_every_corpus_file_through_the_upload_endpoint(server, corpus):
    before = example_facts(server)
    server.reset_peak()
    answers = run_files(server, "/describe_video", corpus)
    assert len(answers) == COUNT >= 1000
    assert wrong(answers) == []
    counts = {kind: sum(a.kind == kind for a in answers) for kind in ("result", "sentence")}
    print("upload endpoint:", counts, f"peak RSS {server.peak_rss / 1e9:.2f} GB,",
          f"disk {server.disk_bytes() / 1e6:.1f} MB")
    assert counts["result"] > 200 and counts["sentence"] > 200
    assert server.disk_bytes() < 100e6 and server.temp_files() == []  # 1,000 uploads and their filmstrips
    assert server.alive() and example_facts(server) == before
    assert server.peak_rss < RSS_LIMIT, f"server peak RSS {server.peak_rss / 1e9:.2f} GB"


def main_sample(corpus: list[CorpusFile]) -> list[CorpusFile]:
    """105 files: one of every usable-video kind, eight of every kind that is not one (they answer fast)."""
    videos = stratified([f for f in corpus if f.video], per_kind=1)
    others = stratified([f for f in corpus if not f.video], per_kind=8)
    return videos + others


@pytest.mark.slow
@pytest.mark.parametrize("api", list(ENDPOINTS))
def test_stratified_sample_through_every_main_endpoint(server, corpus, api):
    sample = main_sample(corpus)
    assert len(sample) >= 100 and {f.kind for f in sample} == set(KINDS)
    server.reset_peak()
    start, temp_before = time.monotonic(), set(server.temp_files())
    answers = run_files(server, api, sample)
    counts = {kind: sum(a.kind == kind for a in answers) for kind in ("result", "sentence")}
    print(f"{api}: {counts} in {time.monotonic() - start:.0f} s, peak RSS {server.peak_rss / 1e9:.2f} GB")
    assert wrong(answers) == []
    assert any(a.kind == "sentence" for a in answers)  # (the toy settings may refuse every short clip)
    # the settings themselves are valid: a slider's range refusal would test nothing (it once did, steps=1)
    assert not [a.text for a in answers if "minimum value" in a.text or "maximum value" in a.text]
    assert server.alive()
    left = sorted(set(server.temp_files()) - temp_before)
    assert left == [], f"{api} left {len(left)} files outside Gradio's cache, e.g. {left[:2]}"
    assert server.peak_rss < RSS_LIMIT, f"server peak RSS {server.peak_rss / 1e9:.2f} GB"
