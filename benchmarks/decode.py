"""decord 0.6.0 vs decord2 vs PyAV (seek + decode): sparse frames of H.264 files, measured side by side in one run.

decord and decord2 both import as `decord`, so each backend runs in a child process of the interpreter
given (a virtual environment with that package); PyAV runs in this interpreter. The children alternate,
each one opens the file afresh (decord indexes the packets; PyAV demuxes them to find keyframes and
frame times, then seeks to the keyframe before each frame and decodes forward, as decord does) and
times that `--inner` times; a case's time is the best over all children. Files (made once, into
`--cache`): 16 uniformly spaced frames of 10 s of 640x360 and of 1920x1080 at 25 fps (H.264, crf 23,
a keyframe every 2 s), and 64 frames of one hour of 1920x1080 at 1 fps (a keyframe every 10 frames,
the test suite's long-video stand-in). Peak RSS is the child's VmHWM. The last line is one JSON object.

    python benchmarks/decode.py --decord-python /work/venv/bin/python --decord2-python /work/venv-decord2/bin/python
    python benchmarks/decode.py --quick      # 1 round, a 10-minute long file
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from lib.video import Mp4Writer, uniform_indices  # noqa: E402
from tests.video_samples import make_long_video  # noqa: E402

BACKENDS = ("decord", "decord2", "pyav")

# Run by each child: argv = backend, path, JSON list of frame indices, inner repeats.
_CHILD = r"""
import json, sys, time
backend, path, indices, inner = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), int(sys.argv[4])

def status(key):
    return int(next(l for l in open('/proc/self/status') if l.startswith(key)).split()[1]) / 1024

if backend == "pyav":
    import bisect
    import av

    def decode():
        out = []
        with av.open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            times, keys = [], []
            for packet in container.demux(stream):
                if packet.pts is not None:
                    times.append(packet.pts)
                    if packet.is_keyframe:
                        keys.append(packet.pts)
            times.sort()
            keys.sort()
            frames, last = None, None
            for target in (times[i] for i in indices):
                key = keys[max(0, bisect.bisect_right(keys, target) - 1)]
                if frames is None or last is None or not key <= last < target:
                    container.seek(key, stream=stream, backward=True)
                    frames = container.decode(stream)
                for frame in frames:
                    if frame.pts is not None and frame.pts >= target:
                        out.append(frame.to_ndarray(format="rgb24"))
                        last = frame.pts
                        break
                    last = frame.pts
        return out
else:
    import decord
    version = decord.__version__

    def decode():
        return list(decord.VideoReader(path, ctx=decord.cpu(0)).get_batch(indices).asnumpy())

base = status("VmRSS")
best = float("inf")
for _ in range(inner):
    start = time.perf_counter()
    frames = decode()
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "peak_rss_mb": status("VmHWM"), "base_rss_mb": base,
                  "means": [float(f.mean()) for f in frames], "shape": list(frames[0].shape),
                  "version": version if backend != "pyav" else av.__version__}))
"""


def _pan_video(path: Path, height: int, width: int, seconds: float = 10.0, fps: float = 25.0) -> Path:
    """A camera pan over a smooth random texture with a moving square: real motion for the encoder."""
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (height // 8 + 2, (width + 4 * int(seconds * fps)) // 8 + 2, 3), dtype=np.uint8)
    texture = np.repeat(np.repeat(coarse, 8, axis=0), 8, axis=1).astype(np.float32)
    texture = ((texture + np.roll(texture, 3, axis=0) + np.roll(texture, 3, axis=1)) / 3).astype(np.uint8)
    side = height // 6
    with Mp4Writer(path, fps=fps, crf=23, preset="veryfast") as writer:
        for t in range(int(seconds * fps)):
            frame = texture[:height, 4 * t:4 * t + width].copy()
            y, x = (t * 5) % (height - side), (t * 11) % (width - side)
            frame[y:y + side, x:x + side] = (255, (t * 9) % 256, 40)
            writer.write(frame)
    return path


def make_files(cache: Path, quick: bool) -> dict[str, tuple[Path, int]]:
    """{case: (file, frames to sample)}; each file is made once and reused from `cache`."""
    cache.mkdir(parents=True, exist_ok=True)
    long_seconds = 600 if quick else 3600
    wanted = {
        "360p_16": (cache / "pan_640x360_10s.mp4", 16, lambda p: _pan_video(p, 360, 640)),
        "1080p_16": (cache / "pan_1920x1080_10s.mp4", 16, lambda p: _pan_video(p, 1080, 1920)),
        "long_1080p_64": (cache / f"long_1080p_{long_seconds}s_1fps.mp4", 64,
                          lambda p: make_long_video(p, seconds=long_seconds, fps=1.0, keyframe_interval=10)),
    }
    files = {}
    for case, (path, count, make) in wanted.items():
        if not path.exists():
            print(f"making {path} ...", flush=True)
            partial = path.with_suffix(".partial.mp4")
            make(partial)
            partial.rename(path)
        files[case] = (path, count)
    return files


def _total_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return int(container.streams.video[0].frames)


def run_child(python: str, backend: str, path: Path, indices: list[int], inner: int) -> dict:
    name = "pyav" if backend == "pyav" else "decord"
    done = subprocess.run([python, "-c", _CHILD, name, str(path), json.dumps(indices), str(inner)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{backend} child failed on {path.name}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decord-python", default=sys.executable, help="interpreter with decord 0.6.0")
    parser.add_argument("--decord2-python", default=sys.executable, help="interpreter with decord2")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of children (best kept)")
    parser.add_argument("--inner", type=int, default=2, help="timed decodes per child (best kept)")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "video-explorer" / "bench")
    parser.add_argument("--quick", action="store_true", help="1 round and a 10-minute long file")
    args = parser.parse_args()
    rounds = 1 if args.quick else args.rounds
    if os.path.abspath(args.decord_python) == os.path.abspath(args.decord2_python):
        print("WARNING: --decord-python and --decord2-python are the same interpreter, so 'decord' and "
              "'decord2' measure the same package; pass one virtual environment for each.", flush=True)
    pythons = {"decord": args.decord_python, "decord2": args.decord2_python, "pyav": sys.executable}
    files = make_files(args.cache, args.quick)
    results: dict[str, dict[str, dict]] = {case: {} for case in files}
    for _ in range(rounds):
        for case, (path, count) in files.items():
            indices = uniform_indices(_total_frames(path), count).tolist()
            for backend in BACKENDS:
                got = run_child(pythons[backend], backend, path, indices, args.inner)
                old = results[case].get(backend)
                if old is None or got["seconds"] < old["seconds"]:
                    got["peak_rss_mb"] = max(got["peak_rss_mb"], old["peak_rss_mb"] if old else 0.0)
                    results[case][backend] = got
                else:
                    old["peak_rss_mb"] = max(old["peak_rss_mb"], got["peak_rss_mb"])
    versions = {b: results["360p_16"][b]["version"] for b in BACKENDS}
    print(f"versions: {versions}")
    print(f"{'case':<15}" + "".join(f"{b + ' s':>12}{b + ' MB':>12}" for b in BACKENDS) + f"{'max |mean diff|':>17}")
    summary = {}
    for case, by in results.items():
        means = np.array([by[b]["means"] for b in BACKENDS])
        diff = float(np.abs(means - means[0]).max())  # the backends must return the same frames
        print(f"{case:<15}" + "".join(f"{by[b]['seconds']:>12.3f}{by[b]['peak_rss_mb']:>12.0f}" for b in BACKENDS)
              + f"{diff:>17.2f}")
        summary[case] = {
            "seconds": {b: round(by[b]["seconds"], 4) for b in BACKENDS},
            "peak_rss_mb": {b: round(by[b]["peak_rss_mb"], 1) for b in BACKENDS},
            "ratio_decord2_over_decord": round(by["decord2"]["seconds"] / by["decord"]["seconds"], 3),
            "ratio_pyav_over_decord": round(by["pyav"]["seconds"] / by["decord"]["seconds"], 3),
            "max_mean_diff": round(diff, 3), "frames": len(by["pyav"]["means"]), "shape": by["pyav"]["shape"],
        }
    print(json.dumps({"versions": versions, "rounds": rounds, "inner": args.inner, "cases": summary}))


if __name__ == "__main__":
    main()
