"""`python -m lib.batch.toy_clips OUT --count N`: N toy-world clips as MP4 files (a data set to batch over).

Clip i is generate_clip(seed + i) at the given size and length, written as H.264 `toy-<seed+i>.mp4`;
the same arguments write the same files. Used by the tests, benchmarks/batch.py and the shipped results.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from lib.toyworld import ToyWorldConfig, generate_clip
from lib.video import write_mp4


def write_toy_clips(folder: str | Path, count: int, *, seed: int = 700_000, size: int = 96, num_frames: int = 64,
                    fps: float = 25.0) -> list[Path]:
    """Write `count` clips ((num_frames, size, size, 3) each) under `folder`; existing files are kept."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = ToyWorldConfig(height=size, width=size, num_frames=num_frames, fps=fps)
    paths = []
    for i in range(count):
        path = folder / f"toy-{seed + i}.mp4"
        if not path.exists():
            write_mp4(generate_clip(seed + i, config).frames, path, fps=fps)
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lib.batch.toy_clips", description=__doc__.splitlines()[0])
    parser.add_argument("out", help="folder to write the clips to")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--seed", type=int, default=700_000)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--num-frames", type=int, default=64)
    args = parser.parse_args(argv)
    paths = write_toy_clips(args.out, args.count, seed=args.seed, size=args.size, num_frames=args.num_frames)
    print(f"{len(paths)} clips in {args.out}")


if __name__ == "__main__":
    main()
