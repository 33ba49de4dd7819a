"""The bundled example clips listed in assets/examples/manifest.json."""
from __future__ import annotations

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
