"""Where the videos of a batch job come from: a folder, a glob, or a text / CSV list of paths.

    find_videos(["assets/examples"])          every video file in the folder (recursively), sorted
    find_videos(["data/**/*.mp4"])            a glob (relative to the current folder)
    find_videos(["list.txt"])                 one path a line (# comments); relative paths from the list's folder
    find_videos(["list.csv"])                 the `path` column (or the first one)
A folder yields files with a video suffix only; a glob or a list yields every file it names (a corrupt one
becomes an error row, not a silent skip).
"""
from __future__ import annotations

import csv
import glob
from collections.abc import Iterable
from pathlib import Path

from lib.errors import UserInputError
from lib.methods.dataset.identity import VIDEO_SUFFIXES


def _from_list(path: Path) -> list[Path]:
    if path.suffix.lower() == ".csv":
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
        if not rows:
            return []
        column = rows[0].index("path") if "path" in rows[0] else 0
        start = 1 if "path" in rows[0] else 0
        names = [row[column] for row in rows[start:] if len(row) > column and row[column].strip()]
    else:
        names = [line.strip() for line in path.read_text().splitlines()]
        names = [n for n in names if n and not n.startswith("#")]
    return [p if (p := Path(n)).is_absolute() else path.parent / p for n in names]


def find_videos(sources: Iterable[str | Path]) -> list[str]:
    """Absolute paths of the videos named by `sources` (folders, globs, .txt / .csv lists), each once, in order.
    Raises UserInputError when a source names nothing."""
    found: list[Path] = []
    for source in sources:
        path = Path(source)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES)
        elif path.is_file() and path.suffix.lower() in {".txt", ".csv", ".list"}:
            found += _from_list(path)
        elif path.is_file():
            found.append(path)
        elif matches := sorted(glob.glob(str(source), recursive=True)):
            found += [Path(m) for m in matches if Path(m).is_file()]
        else:
            raise UserInputError(f"{source} is not a folder, a file, a list of videos or a glob that matches any.")
    return list(dict.fromkeys(str(p.resolve()) for p in found))
