"""`python -m lib.batch`: run one tab's computation over many videos on Ray and write Parquet.

    python -m lib.batch assets/examples --task tubes --output results/tubes
    python -m lib.batch videos.txt --task mask-propagation --k 1,2,5,10 --output results/mpvss
    python -m lib.batch 'data/**/*.mp4' --task attention --address ray://head:10001 --num-workers 16
"""
from __future__ import annotations

import argparse
import shlex
import sys

from lib.errors import UserInputError
from lib.methods.dataset.engine import BatchConfig, run_batch
from lib.methods.dataset.settings import CLI_OPTIONS, TASKS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m lib.batch", description="Run one tab's computation over many videos (Ray Data) and "
        "write one Parquet row per (video, task, setting); failures go to an errors table; re-running with the "
        "same --output skips what is there.")
    parser.add_argument("inputs", nargs="+", help="folders, globs, or .txt / .csv lists of video paths")
    parser.add_argument("--task", required=True, choices=list(TASKS), help="which tab's computation")
    parser.add_argument("--output", required=True, help="output folder (rows/, errors/, artifacts/, command.txt)")
    tabs = ", ".join(f"{name}: --{' --'.join(o.cli for o in spec.options)}" for name, spec in TASKS.items())
    group = parser.add_argument_group("settings (as in the tab; comma-separated values make a sweep)", tabs)
    for flag in CLI_OPTIONS:
        group.add_argument(f"--{flag}", default=None, metavar="V[,V...]")
    parser.add_argument("--address", default=None,
                        help="an existing Ray cluster: host:6379 (its GCS, from a node of the cluster) or "
                             "ray://host:10001 (Ray Client, from anywhere); default RAY_ADDRESS, else a local "
                             "cluster on this machine")
    parser.add_argument("--num-workers", type=int, default=None, help="workers (default: one per CPU slot)")
    parser.add_argument("--cpus-per-worker", type=float, default=1.0)
    parser.add_argument("--gpus-per-worker", type=float, default=0.0)
    parser.add_argument("--save-artifacts", action="store_true", help="also write NPZ arrays and a PNG per row")
    parser.add_argument("--engine", choices=["ray", "local"], default="ray",
                        help="local: the same jobs in this process, no Ray (a baseline)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    options = {flag: getattr(args, flag.replace("-", "_")) for flag in CLI_OPTIONS}
    config = BatchConfig(inputs=tuple(args.inputs), task=args.task, output=args.output,
                         options={k: v for k, v in options.items() if v is not None}, address=args.address,
                         num_workers=args.num_workers, cpus_per_worker=args.cpus_per_worker,
                         gpus_per_worker=args.gpus_per_worker, save_artifacts=args.save_artifacts,
                         engine=args.engine, command=shlex.join(["python", "-m", "lib.batch", *argv]))
    try:
        summary = run_batch(config)
    except UserInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{summary.rows} rows and {summary.errors} errors written, {summary.skipped} of {summary.jobs} jobs "
          f"already there, in {summary.seconds:.1f} s -> {summary.output}")
    return 0
