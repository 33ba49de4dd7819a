"""Steps of the full-size hub rehearsal: serve the real app on a rehearsal cache, call each tab's main action.

The app runs in its own process (`python app.py`), started with HF_HUB_CACHE / HF_HOME pointing at a cache
written by lib.models.rehearsal, so huggingface_hub reads those variables before anything imports it and
the app's unchanged `from_pretrained("ORG/NAME")` loads the random-weight checkpoints under HF_HUB_OFFLINE=1.
benchmarks/hub_models.py uses the same steps (HUB_ACTIONS) so tests and benchmark call the same things.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
GPU_ONLY_ENV = {"VIDEO_EXPLORER_GPU_ONLY_ON_CPU": "1"}  # lets an app run V-JEPA 2 on a CPU (benchmark, one test)


@dataclass(frozen=True)
class HubAction:
    """One (hub model, tab main action) pair: the model the user picks and the endpoint that runs it."""

    model: str       # the name the tab's model dropdown offers
    tab: str         # tab title
    api_name: str    # the main action's endpoint
    loads: str       # the registry name the action loads (TubeViT-B is inflated from vit-b16-in1k)

    @property
    def key(self) -> str:
        """Unique name of the pair, e.g. "attention:dinov2-small" (DINOv2-S serves two tabs)."""
        return f"{self.api_name[1:]}:{self.model}"


HUB_ACTIONS: tuple[HubAction, ...] = (
    HubAction("videomae-base-k400", "Attention", "/attention", "videomae-base-k400"),
    HubAction("timesformer-base-k400", "Attention", "/attention", "timesformer-base-k400"),
    HubAction("dinov2-small", "Attention", "/attention", "dinov2-small"),
    HubAction("vjepa2-vitl-ssv2", "Attention", "/attention", "vjepa2-vitl-ssv2"),  # GPU-only: see GPU_ONLY_ENV
    HubAction("clip-vit-b16", "Token merging", "/merge", "clip-vit-b16"),
    HubAction("clip-vit-l14", "Token merging", "/merge", "clip-vit-l14"),
    HubAction("siglip2-base-p16-224", "Token merging", "/merge", "siglip2-base-p16-224"),
    HubAction("dinov2-small", "Token merging", "/merge", "dinov2-small"),
    HubAction("mask2former-swin-t-ade", "Mask propagation", "/propagate", "mask2former-swin-t-ade"),
    HubAction("mask2former-swin-t-cityscapes", "Mask propagation", "/propagate", "mask2former-swin-t-cityscapes"),
    HubAction("tubevit-b-from-vit-in1k", "Tubes", "/tubes", "vit-b16-in1k"),
)
# SAM 2 is one of the Mask propagation tab's propagation methods (its segmentor stays the bundled one), and GPU-only:
# kept out of HUB_ACTIONS (the benchmark's loop), since the tab's 40-frame clip takes 15+ minutes on a 2-core CPU.
SAM2_ACTION = HubAction("sam2.1-hiera-tiny", "Mask propagation", "/propagate", "sam2.1-hiera-tiny")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rehearsal_env(cache_dir: str | Path, home: str | Path | None = None) -> dict[str, str]:
    """The environment of an app process that loads hub models from the rehearsal cache only."""
    home = str(home or tempfile.mkdtemp(prefix="hub-rehearsal-home-"))
    env = dict(os.environ)
    env.update({
        "HF_HUB_CACHE": str(cache_dir), "HF_HOME": os.path.join(home, "hf-home"), "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_PROGRESS_BARS": "1", "GRADIO_ANALYTICS_ENABLED": "False",
        "HOME": home, "MPLCONFIGDIR": os.path.join(home, "mpl"), "OMP_NUM_THREADS": env.get("OMP_NUM_THREADS", "2"),
        "PYTHONUNBUFFERED": "1",
    })
    env.pop("HUGGINGFACE_HUB_CACHE", None)
    env.pop("TRANSFORMERS_CACHE", None)
    return env


class AppServer:
    """`python app.py` in a child process on a free port; `url` once it answers, `close()` to stop it."""

    def __init__(self, cache_dir: str | Path, log_path: str | Path, *, timeout: float = 180.0,
                 extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = Path(log_path)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen([sys.executable, "app.py", "--port", str(self.port)], cwd=REPO_ROOT,
                                        env=rehearsal_env(cache_dir) | (extra_env or {}), stdout=self._log,
                                        stderr=subprocess.STDOUT)
        self._wait(timeout)

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.close()
                raise RuntimeError(f"the app exited with {self.process.returncode}; log:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + "config", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.close()
        raise RuntimeError(f"the app did not answer within {timeout:.0f} s; log:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self._log.close()


def tube_table(rows=None) -> dict:
    """The Tubes tab's table value (the tab's default tubes unless `rows`)."""
    from demos.tubes import COLUMNS, DEFAULT_ROWS

    return {"headers": COLUMNS, "data": rows if rows is not None else DEFAULT_ROWS, "metadata": None}


def action_args(action: HubAction, video, *, quick: bool) -> tuple:
    """The main action's arguments for `action` on `video` (a gradio_client file argument).

    quick: the cheapest settings the tab allows that still run the model fully (tests: 2 recorded layers,
    8 CLIP frames, k = 5, 32 tube frames); otherwise the tab's defaults, what a visitor gets (benchmark).
    """
    if action.api_name == "/attention":
        from lib.methods.attention import default_layers_text  # the blocks the tab proposes for the model here

        return (video, action.model, False, "0, 1") if quick else (video, action.model, True,
                                                                  default_layers_text(action.model))
    if action.api_name == "/merge":
        from lib.methods.token_merging import default_frames, default_segments  # what the tab picks for the encoder

        frames, segments = (8, 2) if quick else (default_frames(action.model), default_segments(action.model))
        return (video, action.model, frames, segments, 30, 5, "pseudo_heads")
    if action == SAM2_ACTION:
        return (video, "query-segmentor-tiny-toy", "sam2", 5)
    if action.api_name == "/propagate":
        return (video, action.model, "mpvss", 5)
    if action.api_name == "/tubes":
        return (video, action.model, 32, 224, tube_table())
    raise ValueError(f"no arguments known for {action.api_name}")


def call(client, action: HubAction, video, *, quick: bool):
    """Run `action` through gradio_client; returns the endpoint's outputs."""
    return client.predict(*action_args(action, video, quick=quick), api_name=action.api_name)


def upload(path: str | Path):
    from gradio_client import handle_file

    return handle_file(str(path))
