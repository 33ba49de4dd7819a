"""The bundled example clips listed in assets/examples/manifest.json."""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = REPO_ROOT / "assets" / "examples"


@dataclass(frozen=True)
class Example:
    """One example clip: its video file, a title, a one-line description and where it came from."""

    name: str
    path: Path
    title: str
    description: str
    provenance: str


def list_examples(manifest: Path = EXAMPLES_DIR / "manifest.json") -> list[Example]:
    """Examples in manifest order; entries whose video file is missing are skipped."""
    if not manifest.exists():
        return []
    data = json.loads(manifest.read_text())
    entries = data["examples"] if isinstance(data, dict) else data
    found = []
    for entry in entries:
        path = manifest.parent / entry["file"]
        if not path.exists():
            continue
        found.append(Example(name=entry.get("name", path.stem), path=path, title=entry.get("title", path.stem),
                             description=entry.get("description", ""), provenance=entry.get("provenance", "")))
    return found


@functools.lru_cache(maxsize=1)
def _examples_by_digest() -> dict[str, Example]:
    return {_digest(example.path): example for example in list_examples()}


@functools.lru_cache(maxsize=64)
def _digest_cached(path: str, size: int, mtime_ns: int) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _digest(path: Path) -> str:
    stat = path.stat()
    return _digest_cached(str(path), stat.st_size, stat.st_mtime_ns)


def content_digest(path: str | Path) -> str:
    """SHA-256 (hex) of a file's bytes, cached by (path, size, mtime): a video's identity by content."""
    return _digest(Path(path))


def identify_example(video: str | Path) -> Example | None:
    """The bundled example whose file has exactly these bytes (SHA-256), else None.

    Ground truth is attached only through this: a file is an example by its content, never by its name,
    so an upload called `toy_bounce.mp4` is not scored against that example's ground truth.
    """
    path = Path(video)
    if not path.is_file() or path.stat().st_size > _LARGEST_EXAMPLE_BYTES:
        return None
    return _examples_by_digest().get(_digest(path))


# No example is larger; bigger uploads are not hashed at all.
_LARGEST_EXAMPLE_BYTES = 64 * 1024 * 1024
