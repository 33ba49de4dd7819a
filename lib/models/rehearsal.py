"""A full-size rehearsal of the catalog's hub checkpoints: real architectures, seeded random weights.

FOR TESTS AND BENCHMARKS ONLY. The weights are random: what these models output is meaningless and must
never be shown to anyone as a prediction. The app never calls this module; tests and benchmarks do, to
run the app's own, unchanged loading path (`from_pretrained("ORG/NAME")` under HF_HUB_OFFLINE=1) with
the real shapes, memory and run times of every hub model, since the weights cannot be downloaded here.

    from lib.models.rehearsal import write_rehearsal_cache
    paths = write_rehearsal_cache("/tmp/hub-rehearsal")      # {hub id: snapshot folder}, all hub specs
    # then start the app with HF_HUB_CACHE=/tmp/hub-rehearsal HF_HUB_OFFLINE=1 (before anything imports
    # huggingface_hub: it reads the variable once, at import)

Each hub id gets the layout huggingface_hub reads (STACK.md, "Rehearsing hub models offline"):
`models--ORG--NAME/refs/main` holding a 40-hex hash and `models--ORG--NAME/snapshots/<hash>/` with
config.json, model.safetensors and, when assets/hub_configs/ORG--NAME/ has one, preprocessor_config.json.
The model is built from assets/hub_configs/ORG--NAME/config.json (the real checkpoint's values, sources in
SOURCE.md there), as the class named in its `architectures` (CLIP: the full CLIPModel, as openai ships it).
The hash is a digest of that config, the seed, the dtype and REHEARSAL_VERSION: a folder written earlier
with the same inputs is reused as is (only the preprocessor file is refreshed), so CI builds it once.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import zlib
from pathlib import Path

import torch

from lib.models.catalog import SPECS
from lib.models.spec import ModelSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIGS_DIR = REPO_ROOT / "assets" / "hub_configs"
REHEARSAL_VERSION = 1  # bump when the way weights are made changes, so old caches are rebuilt
PREPROCESSOR = "preprocessor_config.json"


def hub_specs(names: list[str] | tuple[str, ...] | None = None) -> list[ModelSpec]:
    """The catalog's hub specs (all, or those called `names`, in catalog order); unknown names raise KeyError."""
    hub = [spec for spec in SPECS if spec.source == "hub"]
    if names is None:
        return hub
    known = {spec.name for spec in hub}
    missing = [name for name in names if name not in known]
    if missing:
        raise KeyError(f"not hub models of the catalog: {', '.join(missing)}; hub models: {', '.join(sorted(known))}")
    return [spec for spec in hub if spec.name in names]


def config_folder(repo_id: str) -> Path:
    """assets/hub_configs/ORG--NAME for a hub id ORG/NAME."""
    return CONFIGS_DIR / repo_id.replace("/", "--")


def repo_folder(cache_dir: str | Path, repo_id: str) -> Path:
    """The hub cache folder of `repo_id`: cache_dir/models--ORG--NAME."""
    return Path(cache_dir) / ("models--" + repo_id.replace("/", "--"))


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def snapshot_hash(repo_id: str, *, seed: int = 0, dtype: torch.dtype = torch.float32) -> str:
    """40 hex digits naming the snapshot: sha1 of the committed config (canonical JSON), seed, dtype, version."""
    config = json.loads((config_folder(repo_id) / "config.json").read_text(encoding="utf-8"))
    key = json.dumps({"config": config, "seed": seed, "dtype": _dtype_name(dtype), "repo": repo_id,
                      "version": REHEARSAL_VERSION}, sort_keys=True)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()


def build_random_model(repo_id: str, *, seed: int = 0, dtype: torch.dtype = torch.float32) -> torch.nn.Module:
    """The checkpoint's architecture (config from assets/hub_configs) with weights drawn from a seeded generator.

    The seed is mixed with the hub id, so two models never share weights; the same inputs give the same
    weights byte for byte. Returns the model in eval mode, in `dtype`.
    """
    import transformers

    config = transformers.AutoConfig.from_pretrained(config_folder(repo_id))
    architecture = (config.architectures or [None])[0]
    if architecture is None:
        raise ValueError(f"{config_folder(repo_id) / 'config.json'} names no 'architectures'")
    model_class = getattr(transformers, architecture)
    state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed * 1_000_003 + zlib.crc32(repo_id.encode("utf-8")))
        model = model_class(config)
    finally:
        torch.random.set_rng_state(state)
    return model.to(dtype).eval()


def _sync_preprocessor(repo_id: str, snapshot: Path) -> None:
    """Copy assets' preprocessor_config.json into the snapshot when it differs; remove a stale one."""
    source, target = config_folder(repo_id) / PREPROCESSOR, snapshot / PREPROCESSOR
    if source.is_file():
        if not target.is_file() or target.read_bytes() != source.read_bytes():
            shutil.copyfile(source, target)
    elif target.exists():
        target.unlink()


def _complete(snapshot: Path) -> bool:
    return (snapshot / "config.json").is_file() and (snapshot / "model.safetensors").is_file()


def write_one(cache_dir: str | Path, repo_id: str, *, seed: int = 0, dtype: torch.dtype = torch.float32) -> Path:
    """Write (or reuse) the rehearsal snapshot of `repo_id` under `cache_dir`; returns the snapshot folder."""
    repo = repo_folder(cache_dir, repo_id)
    digest = snapshot_hash(repo_id, seed=seed, dtype=dtype)
    snapshot = repo / "snapshots" / digest
    ref = repo / "refs" / "main"
    if not _complete(snapshot):
        partial = repo / "snapshots" / f".partial-{digest}"
        shutil.rmtree(partial, ignore_errors=True)
        model = build_random_model(repo_id, seed=seed, dtype=dtype)
        model.save_pretrained(partial)
        del model
        if not (partial / "model.safetensors").is_file():
            raise RuntimeError(f"save_pretrained wrote no single model.safetensors for {repo_id} in {partial}")
        shutil.rmtree(snapshot, ignore_errors=True)
        partial.rename(snapshot)
    _sync_preprocessor(repo_id, snapshot)
    for old in (repo / "snapshots").iterdir():  # earlier configs or seeds: free their disk
        if old.name != digest:
            shutil.rmtree(old, ignore_errors=True)
    ref.parent.mkdir(parents=True, exist_ok=True)
    if not ref.is_file() or ref.read_text(encoding="utf-8").strip() != digest:
        ref.write_text(digest, encoding="utf-8")
    return snapshot


def write_rehearsal_cache(cache_dir: str | Path, names: list[str] | tuple[str, ...] | None = None, seed: int = 0,
                          dtype: torch.dtype = torch.float32) -> dict[str, Path]:
    """Lay out a Hugging Face hub cache of the catalog's hub models (all, or the specs called `names`).

    FOR TESTS AND BENCHMARKS ONLY: the weights are seeded random numbers, never to be shown as predictions.
    cache_dir: becomes HF_HUB_CACHE for the process that loads them. dtype: of the saved weights (the app
    loads float32 whatever is stored; float16 halves the disk). Returns {hub id: snapshot folder}.
    Folders already written with the same config, seed and dtype are reused.
    """
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    return {spec.location: write_one(cache_dir, spec.location, seed=seed, dtype=dtype) for spec in hub_specs(names)}
