"""Many users at once: N gradio_client users on every tab's main action, each with its own clip.

    python benchmarks/load.py [--users 8] [--rounds 1] [--limits 1,2]

For each number of model slots (app.py's MODEL_SLOTS: model runs at once over all tabs, set through
VIDEO_EXPLORER_MODEL_SLOTS) the app is served in its own process with its own cache and temp folder.
One user first runs every action alone (the reference answers and the one-user throughput); then N users run
them all at once, user u on clip u (bundled examples and generated clips, two of them uploaded under the same
name "video.mp4"). Prints, per limit: p50/p95 latency, calls per second against one user's, errors, answers that
differ from the reference (mixed between users), the server's peak RSS and its disk use (cache + temp) at the
end. The last line is one JSON object with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lib.examples import list_examples  # noqa: E402
from lib.video import write_mp4  # noqa: E402

# Every tab's main action, with settings cheap enough for 8 users on 2 cores: (api, video argument, others).
ACTIONS: list[tuple[str, str, dict]] = [
    ("/describe_video", "path", {}),
    ("/tubes", "path", {}),
    ("/attention", "video", {"model_name": "stpt-tiny-toy", "compare_value": False}),
    ("/merge", "video", {"num_frames": 24, "num_segments": 4, "tokens_per_segment": 20, "num_global": 2}),
    ("/propagate", "path", {"k": 5}),
    ("/longrange", "video", {"source_name": "chosen video", "frames_value": 256}),
    ("/training_cost", "video", {"data": "chosen clip", "techniques": ["bf16"], "combination": ["bf16"], "steps": 2,
                                 "depth": 2, "batch_size": 2, "num_frames": 4, "image_size": 32, "width": 64}),
    ("/compare", "path", {}),
]
_NUMBER_WITH_UNIT = re.compile(r"[-+]?\d[\d,.]*\s*(?:ms|s|MB|GB|KB|B|MiB|GiB|it/s|x)\b")
_PATH = re.compile(r"/[^\s'\"]*(?:gradio|tmp)[^\s'\"]*")


def signature(output) -> str:
    """The answer's text without what legitimately differs between runs (timings, memory, cached paths, plots)."""
    parts = output if isinstance(output, (list, tuple)) else [output]
    texts = [p for p in parts if isinstance(p, str) and not p.lstrip().startswith("{")]
    return _PATH.sub("<path>", _NUMBER_WITH_UNIT.sub("<measured>", "\n".join(texts)))


def clips(folder: Path, users: int) -> list[Path]:
    """One clip per user: the bundled examples, then generated ones named video.mp4 in their own folders."""
    import numpy as np

    found = [e.path for e in list_examples()]
    out = []
    for u in range(users):
        if u < len(found) - 1:
            out.append(found[u])
            continue
        rng = np.random.default_rng(u)
        frames = np.clip(rng.normal(120, 40, (1, 96, 128, 3)), 0, 255).astype(np.uint8).repeat(75, 0)
        frames = np.stack([np.roll(f, 3 * t, axis=1) for t, f in enumerate(frames)])
        path = folder / f"user{u}" / "video.mp4"
        out.append(write_mp4(frames, path, fps=25, preset="ultrafast"))
    return out


class Server:
    """`python app.py` with its own cache and temp folder. peak RSS sampled every 0.2 s."""

    def __init__(self, folder: Path, limit: int, results_mb: str | None = None):
        import psutil

        from tests.hub_rehearsal_steps import free_port, rehearsal_env

        self.folder = folder
        (folder / "gradio").mkdir(parents=True)
        (folder / "tmp").mkdir()
        env = rehearsal_env(folder / "hub") | {"VIDEO_EXPLORER_MODEL_SLOTS": str(limit), "TMPDIR": str(folder / "tmp"),
                                                "GRADIO_TEMP_DIR": str(folder / "gradio")}
        if results_mb:  # the session-result store's cap (app default 2.5 GB): a low one isolates requests' memory
            env["VIDEO_EXPLORER_RESULTS_MB"] = results_mb
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/"
        self.log = open(folder / "app.log", "wb")
        self.process = subprocess.Popen([sys.executable, "app.py", "--port", str(port)], cwd=ROOT, env=env,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "config", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        self.ps = psutil.Process(self.process.pid)
        self.peak_rss = 0
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_rss = max(self.peak_rss, self.ps.memory_info().rss)
            except Exception:  # noqa: BLE001 - the server ended
                return
            time.sleep(0.2)

    def disk_bytes(self) -> dict[str, int]:
        sizes = {}
        for name in ("gradio", "tmp"):
            sizes[name] = sum(f.stat().st_size for f in (self.folder / name).rglob("*") if f.is_file())
        return sizes

    def close(self) -> None:
        self._stop.set()
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def run_user(url: str, clip: Path, rounds: int) -> list[tuple[str, float, str | None, str]]:
    """(api, seconds, error or None, answer signature) of every action, `rounds` times over."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, httpx_kwargs={"timeout": 600})  # a busy server answers /config late
    out = []
    for _ in range(rounds):
        for api, param, extra in ACTIONS:
            start = time.perf_counter()
            try:
                output = client.predict(**{param: handle_file(str(clip))}, **extra, api_name=api)
                answer, error = signature(output), None
            except Exception as exc:  # noqa: BLE001 - counted and printed
                answer, error = "", f"{type(exc).__name__}: {str(exc)[:200]}"
            out.append((api, time.perf_counter() - start, error, answer))
    return out


def measure(limit: int, users: list[Path], rounds: int, folder: Path, results_mb: str | None) -> dict:
    server = Server(folder / f"limit{limit}", limit, results_mb)
    try:
        references = {}
        start = time.perf_counter()
        for clip in dict.fromkeys(users):  # each clip alone once: the reference answers
            references[clip] = run_user(server.url, clip, 1)
        alone_s = time.perf_counter() - start
        alone_calls = sum(len(r) for r in references.values())
        start = time.perf_counter()
        with ThreadPoolExecutor(len(users)) as pool:
            results = list(pool.map(lambda c: run_user(server.url, c, rounds), users))
        wall = time.perf_counter() - start
        latencies = sorted(s for r in results for _, s, _, _ in r)
        errors = [(api, e) for r in results for api, _, e, _ in r if e]
        mixed = 0
        for clip, r in zip(users, results):
            expected = {api: answer for api, _, _, answer in references[clip]}
            mixed += sum(1 for api, _, e, answer in r if not e and answer != expected[api])
        calls = len(latencies)
        figures = {"limit": limit, "users": len(users), "calls": calls, "errors": len(errors), "mixed": mixed,
                   "p50_s": round(statistics.median(latencies), 2),
                   "p95_s": round(latencies[min(calls - 1, int(0.95 * calls))], 2),
                   "calls_per_s": round(calls / wall, 3), "one_user_calls_per_s": round(alone_calls / alone_s, 3),
                   "peak_rss_gb": round(server.peak_rss / 1e9, 2),
                   "disk_mb": {k: round(v / 1e6, 1) for k, v in server.disk_bytes().items()}}
        figures["throughput_vs_one_user"] = round(figures["calls_per_s"] / figures["one_user_calls_per_s"], 2)
        for api, e in errors[:5]:
            print(f"  error {api}: {e}")
        return figures
    finally:
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1, help="times each user runs every action")
    parser.add_argument("--limits", default="1,2", help="model slots to compare, comma-separated")
    parser.add_argument("--results-mb", default=None, help="cap of the server's result store (default: the app's)")
    args = parser.parse_args(argv)
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        folder = Path(tmp)
        users = clips(folder / "clips", args.users)
        rows = []
        for limit in (int(x) for x in args.limits.split(",")):
            row = measure(limit, users, args.rounds, folder, args.results_mb)
            rows.append(row)
            print(f"limit {limit}: {row['calls']} calls, p50 {row['p50_s']} s, p95 {row['p95_s']} s, "
                  f"{row['calls_per_s']} calls/s ({row['throughput_vs_one_user']}x one user's "
                  f"{row['one_user_calls_per_s']}), errors {row['errors']}, mixed {row['mixed']}, "
                  f"peak RSS {row['peak_rss_gb']} GB, disk {row['disk_mb']} MB", flush=True)
    print(json.dumps({"benchmark": "load", "actions": [a for a, _, _ in ACTIONS], "runs": rows}))


if __name__ == "__main__":
    main()
