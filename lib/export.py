"""One zip per tab: pictures (PNG), arrays (NPZ), videos (MP4 H.264), figures and a manifest.json.

Each tab's export.py says what goes in (`ExportParts`, built from the stored result: nothing is recomputed);
this module writes it. Usable from notebooks as well as from the app.

    parts = ExportParts(tab="tubes", models=("tubevit-tiny-toy",), settings={...}, numbers={...},
                        clip="clip.mp4", pictures={"pooling": image}, figures={"volume": fig},
                        arrays={"result": arrays_of(result)}, videos={"overlay": (frames, 25.0)})
    path = write_export(parts, folder)      # folder/tubes.zip: manifest.json, pictures/*.png, figures/*, ...
    manifest = read_manifest(path)          # the manifest back (tests, notebooks)

A figure goes in as PNG when it can draw one (matplotlib; plotly with kaleido installed), otherwise as the
figure's own JSON (plotly: `plotly.io.from_json` reopens it); the numbers it plots are in the NPZ and manifest.
"""
from __future__ import annotations

import dataclasses
import importlib.metadata
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from lib.examples import content_digest, identify_example
from lib.video.write import write_mp4

LIBRARIES = ("torch", "transformers", "gradio", "numpy", "av", "decord2", "plotly")
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class ExportParts:
    """What one tab's zip holds.

    tab:      the tab's key (the zip is <tab>.zip); models: names in lib.models' catalog (or free labels).
    settings: what the user chose; numbers: the measured numbers the tab shows (JSON-able after `json_safe`).
    clip:     path of the analysed video (its SHA-256 goes in the manifest); None when the tab generated it.
    pictures: name -> (H, W, 3) uint8 RGB image (or (H, W) uint8) -> pictures/<name>.png.
    figures:  name -> matplotlib or plotly figure -> figures/<name>.png, or .json when it cannot draw a PNG.
    arrays:   name -> {key: ndarray} -> arrays/<name>.npz (compressed).
    videos:   name -> ((T, H, W, 3) uint8 frames, fps) -> videos/<name>.mp4 (H.264).
    files:    zip path -> bytes or a file to copy (e.g. a GIF already written); texts: zip path -> text.
    """

    tab: str
    models: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)
    clip: str | Path | None = None
    pictures: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    arrays: dict = field(default_factory=dict)
    videos: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)


def json_safe(value: Any) -> Any:
    """numpy scalars/arrays, tuples, paths and dataclasses -> plain JSON values (arrays as lists)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no NaN/inf
    if isinstance(value, Path):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return json_safe(dataclasses.asdict(value))
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def arrays_of(obj: Any, prefix: str = "", *, limit: int = 4000) -> dict[str, np.ndarray]:
    """Every numeric array reachable from `obj` (dataclass fields, dicts, tuples, lists), keyed by its path,
    e.g. {"frames": ..., "main.layers.0.maps": ...}; torch tensors become numpy. At most `limit` arrays."""
    found: dict[str, np.ndarray] = {}

    def visit(item: Any, path: str) -> None:
        if len(found) >= limit or item is None or isinstance(item, (str, bytes, int, float, bool)):
            return
        if hasattr(item, "detach") and hasattr(item, "numpy"):  # a torch tensor (no torch import here)
            item = item.detach().cpu().numpy()
        if isinstance(item, np.ndarray):
            if item.dtype != object:
                found[path or "value"] = item
            return
        if dataclasses.is_dataclass(item) and not isinstance(item, type):
            for f in dataclasses.fields(item):
                visit(getattr(item, f.name, None), f"{path}.{f.name}" if path else f.name)
        elif isinstance(item, dict):
            for key, value in item.items():
                visit(value, f"{path}.{key}" if path else str(key))
        elif isinstance(item, (tuple, list)) and not all(isinstance(v, (int, float, str)) for v in item):
            for i, value in enumerate(item):
                visit(value, f"{path}.{i}" if path else str(i))

    visit(obj, prefix)
    return found


def library_versions() -> dict[str, str | None]:
    """Installed versions of the libraries that shaped the numbers (None: not installed)."""
    out: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def model_version(name: str) -> dict:
    """{name, source, location, version}: a bundled model's version is the SHA-256 of its weights file,
    a hub model's the snapshot revision in the local cache (None when unknown)."""
    from lib.models.errors import ModelUnavailableError
    from lib.models.registry import get_spec

    try:
        spec = get_spec(name)
    except ModelUnavailableError:  # not in the catalog (e.g. masks painted by hand)
        return {"name": name, "source": None, "location": None, "version": None}
    version = None
    if spec.source == "bundled":
        weights = Path(__file__).resolve().parent.parent / spec.location / "model.safetensors"
        version = f"sha256:{content_digest(weights)}" if weights.is_file() else None
    else:
        from lib.models.hub import cached_file

        config = cached_file(spec.location, "config.json")
        if config is not None and config.parent.parent.name == "snapshots":
            version = config.parent.name
    return {"name": name, "source": spec.source, "location": spec.location, "version": version}


def clip_identity(clip: str | Path | None) -> dict | None:
    """{name, sha256, bytes, example} of the analysed video file; None when the tab generated its clip."""
    if clip is None:
        return None
    path = Path(clip)
    if not path.is_file():
        return {"name": path.name, "sha256": None, "bytes": None, "example": None}
    example = identify_example(path)
    return {"name": path.name, "sha256": content_digest(path), "bytes": path.stat().st_size,
            "example": example.name if example is not None else None}


def _png(image: np.ndarray) -> bytes:
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA)
    ok, data = cv2.imencode(".png", image)
    if not ok:
        raise ValueError(f"cannot encode an image of shape {image.shape} as PNG")
    return data.tobytes()


def _figure(fig: Any) -> tuple[str, bytes]:
    """(extension, bytes) of a figure: PNG when it can draw one, else its JSON."""
    if hasattr(fig, "savefig"):  # matplotlib
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
        return "png", buffer.getvalue()
    if hasattr(fig, "to_image"):  # plotly: a PNG needs kaleido, which the app does not require
        try:
            return "png", fig.to_image(format="png")
        except (ValueError, ImportError, RuntimeError):
            pass
    if hasattr(fig, "to_json"):
        return "json", fig.to_json().encode()
    raise TypeError(f"cannot export a figure of type {type(fig).__name__}")


def _npz(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **{key.replace("/", "_"): np.asarray(value) for key, value in arrays.items()})
    return buffer.getvalue()


def manifest(parts: ExportParts, files: list[str]) -> dict:
    """The manifest.json of `parts`: tab, time, models with versions, settings, clip, libraries, numbers, files."""
    return {"tab": parts.tab, "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "models": [model_version(name) for name in parts.models], "settings": json_safe(parts.settings),
            "clip": clip_identity(parts.clip), "libraries": library_versions(), "numbers": json_safe(parts.numbers),
            "files": sorted(files)}


def write_export(parts: ExportParts, folder: str | Path) -> Path:
    """Write `parts` as folder/<tab>.zip (PNG, NPZ, MP4, figures, texts, manifest.json); returns the zip's path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / f"{parts.tab}.zip"
    names: list[str] = []
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        def put(name: str, data: bytes, compress: bool = True) -> None:
            zf.writestr(name, data, zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED)
            names.append(name)

        for name, image in parts.pictures.items():
            put(f"pictures/{name}.png", _png(image), compress=False)
        for name, fig in parts.figures.items():
            if fig is not None:
                ext, data = _figure(fig)
                put(f"figures/{name}.{ext}", data, compress=ext != "png")
        for name, arrays in parts.arrays.items():
            if arrays:
                put(f"arrays/{name}.npz", _npz(arrays), compress=False)
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            for name, (frames, fps) in parts.videos.items():
                path = write_mp4(np.asarray(frames), Path(scratch) / f"{name}.mp4", fps=float(fps))
                put(f"videos/{name}.mp4", path.read_bytes(), compress=False)
        for name, data in parts.files.items():
            put(name, data if isinstance(data, bytes) else Path(data).read_bytes())
        for name, text in parts.texts.items():
            put(name, text.encode())
        put(MANIFEST, json.dumps(manifest(parts, names + [MANIFEST]), indent=2).encode())
    return archive


def read_manifest(archive: str | Path) -> dict:
    """The manifest.json inside an export zip."""
    with zipfile.ZipFile(archive) as zf:
        return json.loads(zf.read(MANIFEST))


def read_arrays(archive: str | Path, name: str) -> dict[str, np.ndarray]:
    """arrays/<name>.npz inside an export zip, as {key: ndarray}."""
    with zipfile.ZipFile(archive) as zf, np.load(io.BytesIO(zf.read(f"arrays/{name}.npz"))) as data:
        return {key: data[key] for key in data.files}
