"""A video's identity in a results table: path, content hash (SHA-256), duration, resolution, frame rate."""
from __future__ import annotations

from pathlib import Path

from lib.examples import REPO_ROOT, content_digest
from lib.video import probe_video

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm", ".avi", ".m4v", ".gif", ".mpg", ".mpeg")


def portable_path(path: str | Path) -> str:
    """The path a row records: relative to the project root for files inside it (so shipped results open
    the bundled clips on any checkout), else absolute."""
    path = Path(path).resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def file_identity(path: str | Path) -> dict:
    """{path (portable_path), sha256, bytes} of any file (also a corrupt one); sha256 None when unreadable."""
    try:
        return {"path": portable_path(path), "sha256": content_digest(path), "bytes": Path(path).stat().st_size}
    except OSError:
        return {"path": portable_path(path), "sha256": None, "bytes": None}


def video_identity(path: str | Path) -> dict:
    """file_identity plus {duration_s, width, height, fps, source_frames} from the container header.
    Raises VideoError (the app's sentence) for a file that is not a readable video."""
    info = probe_video(path)
    return {**file_identity(path), "duration_s": float(info.duration), "width": int(info.width),
            "height": int(info.height), "fps": float(info.fps), "source_frames": int(info.num_frames)}
