"""Which results and videos the Dataset tab may read: anything on a private machine; on a public server (a
Hugging Face Space, SPACE_ID set) only the bundled results, files uploaded through the tab, and the bundled
videos, so that a typed path cannot read (or a crafted row serve) other files of the server.

    source = results_source(typed, uploads, public=public_server())   # what load_results may open
    video = servable_video(path, public=public_server())              # a row's video, or None
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lib.errors import UserInputError
from lib.examples import EXAMPLES_DIR, REPO_ROOT

BUNDLED_RESULTS = REPO_ROOT / "assets" / "results"
PUBLIC_ONLY = ("On this public Space the Dataset tab opens only the bundled results ({bundled}) or .parquet files "
               "uploaded here; run the app on your own machine to open {typed}.")


def public_server() -> bool:
    """True on a Hugging Face Space (which sets SPACE_ID), where any visitor can type a path."""
    return bool(os.environ.get("SPACE_ID"))


def _within(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def results_source(typed: str | None, uploads: Sequence[str] | None, *, public: bool) -> str | Path | list[str]:
    """What to open: the uploaded .parquet files if any, else the typed path (empty: the bundled results).

    Raises UserInputError when an upload is not a .parquet file, or when `public` and the typed path is not
    inside the bundled results."""
    files = [str(f) for f in uploads or []]
    if files:
        wrong = [Path(f).name for f in files if Path(f).suffix != ".parquet"]
        if wrong:
            raise UserInputError(f"Upload .parquet files written by python -m lib.batch; {', '.join(wrong)} "
                                 "is not one.")
        return files
    text = (typed or "").strip()
    if not text:
        return BUNDLED_RESULTS
    path = Path(text)
    if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
        path = REPO_ROOT / path  # "assets/results" means the project's, wherever the app was started
    if public and not _within(path, BUNDLED_RESULTS):
        raise UserInputError(PUBLIC_ONLY.format(bundled=BUNDLED_RESULTS.relative_to(REPO_ROOT), typed=text))
    return str(path) if path != Path(text) else text


def servable_video(path: str | None, *, public: bool) -> str | None:
    """`path` if the tab may put it in the chooser: any file here; on a public server only bundled videos."""
    if path is None or (public and not _within(Path(path), EXAMPLES_DIR)):
        return None
    return path
