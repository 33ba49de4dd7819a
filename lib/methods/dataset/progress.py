"""A one-line progress bar for batch jobs: counts, errors, rate and ETA, redrawn in place on a terminal."""
from __future__ import annotations

import sys
import time
from typing import TextIO


def _clock(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """bar = Progress(total, skipped=n); bar.update(error=False) per finished job; bar.close().

    Prints e.g. `[#####-----] 50/100 jobs, 2 errors, 12 skipped | 1.9 jobs/s | 0:21 elapsed, ETA 0:26`.
    On a non-terminal stream (CI logs, a file) it prints a line every `every` seconds instead of redrawing."""

    def __init__(self, total: int, *, skipped: int = 0, stream: TextIO | None = None, every: float = 10.0,
                 width: int = 24) -> None:
        self.total, self.skipped, self.done, self.errors = total, skipped, 0, 0
        self.stream = stream or sys.stderr
        self.start = self.last = time.perf_counter()
        self.every, self.width = every, width
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        filled = int(self.width * self.done / self.total) if self.total else self.width
        return (f"[{'#' * filled}{'-' * (self.width - filled)}] {self.done}/{self.total} jobs, {self.errors} errors, "
                f"{self.skipped} skipped | {rate:.2f} jobs/s | {_clock(elapsed)} elapsed, ETA "
                f"{_clock(eta) if eta == eta else '?'}")

    def update(self, *, error: bool = False) -> None:
        self.done += 1
        self.errors += int(error)
        now = time.perf_counter()
        if self.tty:
            self.stream.write("\r" + self.line())
            self.stream.flush()
        elif now - self.last >= self.every or self.done == self.total:
            self.stream.write(self.line() + "\n")
            self.last = now

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")
        self.stream.flush()
