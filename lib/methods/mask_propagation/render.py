"""Rendering of mask-propagation results: per-frame images, plotly figures, overlay video, export bundle.

Pure functions of a MaskPropagationResult / CostSweep, shared by the Gradio tab and the notebook.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
import plotly.graph_objects as go
import torch

from lib.methods.mask_propagation.warp import warp
from lib.video import write_mp4
from lib.viz import colour_wheel, colourise, flow_to_rgb, hex_colour, overlay_mask, put_label, tile

if TYPE_CHECKING:
    from lib.methods.mask_propagation.result import CostSweep, MaskPropagationResult

PANEL = 192  # display side of the strip panels, pixels
METHOD_COLOURS = {"per-frame": "#222222", "mpvss": "#d62728", "dis": "#1f77b4", "none": "#7f7f7f", "sam2": "#2ca02c"}
METHOD_LABELS = {"per-frame": "per-frame segmentation", "mpvss": "MPVSS query flow",
                 "dis": "plain flow (DIS; OpenCV FLOPs not counted)", "none": "no flow",
                 "sam2": "SAM 2 memory (prompted on frame 0)"}


def _ignore_label(result: MaskPropagationResult) -> int | None:
    return 0 if result.track.class_names[0].lower() == "background" else None


def _check_t(result: MaskPropagationResult, t: int) -> int:
    t = int(t)
    if not 0 <= t < len(result.frames):
        raise ValueError(f"frame {t} outside 0..{len(result.frames) - 1}")
    return t


def _panel(image: np.ndarray, size: int = PANEL) -> np.ndarray:
    h, w = image.shape[:2]
    scale = size / max(h, w)
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_NEAREST
                      if scale > 1 else cv2.INTER_AREA)


def frame_caption(result: MaskPropagationResult, t: int) -> str:
    track = result.track
    if track.is_key[t]:
        how = "segmented" if t == 0 or result.segmentor != "painted" else "re-anchored on propagated masks"
        caption = f"frame {t}: key frame ({how})"
    elif result.flow == "sam2":
        caption = f"frame {t}: SAM 2's memory, prompted on key frame {track.key_index[t]} (+{track.since_key[t]})"
    else:
        caption = f"frame {t}: warped from key frame {track.key_index[t]} (+{track.since_key[t]})"
    return "  \n".join((caption, *result.notes))


def render_overlay(result: MaskPropagationResult, t: int) -> np.ndarray:
    """(H, W, 3) uint8: frame t with its propagated class mask; key frames get a yellow border."""
    t = _check_t(result, t)
    out = overlay_mask(result.frames[t], result.track.labels[t], alpha=0.45, ignore=_ignore_label(result))
    if result.track.is_key[t]:
        cv2.rectangle(out, (0, 0), (out.shape[1] - 1, out.shape[0] - 1), (255, 220, 0), max(2, out.shape[0] // 64))
    return out


def warp_error_map(result: MaskPropagationResult, t: int) -> np.ndarray:
    """(H, W) float: |frame t - key frame warped to t| averaged over RGB (0 on key frames)."""
    t = _check_t(result, t)
    track = result.track
    if track.is_key[t]:
        return np.zeros(result.frames.shape[1:3], np.float32)
    kf = int(track.key_index[t])
    h, w = result.frames.shape[1:3]
    gh, gw = track.flow.shape[1:3]
    flow = torch.from_numpy(track.flow[t] * np.array([gw / w, gh / h], np.float32)).permute(2, 0, 1)[None]
    key = torch.from_numpy(result.frames[kf].astype(np.float32)).permute(2, 0, 1)[None]
    warped = warp(key, flow)[0].permute(1, 2, 0).numpy()
    return np.abs(warped - result.frames[t].astype(np.float32)).mean(-1)


def render_strip(result: MaskPropagationResult, t: int) -> np.ndarray:
    """One row for frame t: propagated mask | flow used (colour wheel) | warp error (inferno, 0..64 grey levels)."""
    t = _check_t(result, t)
    track = result.track
    flow = track.flow[t]
    scale = max(float(np.linalg.norm(track.flow, axis=-1).max()), 1.0)
    mag = float(np.linalg.norm(flow, axis=-1).mean())
    corner = "bottom-left"  # the top-left corner is under the app's image label
    mask = put_label(_panel(render_overlay(result, t)), frame_caption(result, t).split(": ")[1], corner=corner)
    if result.flow == "sam2":  # SAM 2 re-finds objects from its memory: no flow, nothing warped
        blank = np.full_like(mask, 255)
        return tile([mask, put_label(blank.copy(), "SAM 2: no flow", corner=corner),
                     put_label(blank, "SAM 2: nothing warped", corner=corner)], cols=3)
    panels = [mask,
              put_label(_panel(flow_to_rgb(flow, max_magnitude=scale)), f"backward flow, {mag:.1f} px", corner=corner),
              put_label(_panel(colourise(warp_error_map(result, t), cmap="inferno", vmin=0, vmax=64)),
                        f"warp error {track.warp_error[t]:.1f}", corner=corner)]
    return tile(panels, cols=3)


def render_query_flows(result: MaskPropagationResult, t: int, max_panels: int = 12) -> np.ndarray:
    """Per-segment flows of frame t, one small colour-wheel panel each (shared scale), plus the legend."""
    t = _check_t(result, t)
    track = result.track
    flows, classes = track.segment_flows[t], track.segment_classes[t]
    wheel = put_label(colour_wheel(96), "legend", corner="bottom-left")
    if len(flows) == 0:
        blank = np.full((96, 96, 3), 255, np.uint8)
        text = "SAM 2: no flow" if result.flow == "sam2" else "key frame: no flow"
        return tile([put_label(blank, text, corner="bottom-left"), wheel], cols=2)
    scale = max(float(np.linalg.norm(flows, axis=-1).max()), 1.0)
    panels = []
    for f, c in list(zip(flows, classes))[:max_panels]:
        name = "all masks (one flow)" if c < 0 else track.class_names[int(c)]
        panels.append(put_label(_panel(flow_to_rgb(f, max_magnitude=scale), 96), name[:14], corner="bottom-left"))
    return tile(panels + [wheel], cols=min(len(panels) + 1, 7))


def render_frame(result: MaskPropagationResult, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(overlay, strip, query flow panels) for frame t: what the tab shows when the frame slider moves."""
    return render_overlay(result, t), render_strip(result, t), render_query_flows(result, t)


def render_preview(result: MaskPropagationResult) -> np.ndarray:
    """The strip of the frame farthest from its key frame (where drift is largest), labelled with the clip's
    mIoU and GFLOPs per frame: the notebook's quick-look image (uint8 RGB)."""
    t = int(np.argmax(result.track.since_key))
    text = (f"{result.flow}, k={result.k}: mIoU {result.miou:.3f} vs {result.reference_kind}, "
            f"{result.gflops_per_frame:.3f} GFLOPs/frame")
    return put_label(render_strip(result, t), text, corner="bottom-left")


def drift_figure(result: MaskPropagationResult) -> go.Figure:
    """IoU of every frame against the reference by frames since its key frame (points) and the mean (line)."""
    fig = go.Figure()
    track = result.track
    if result.reference is None:
        fig.add_annotation(text="No reference: painted masks have no ground truth or per-frame segmentation.",
                           showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    else:
        fig.add_trace(go.Scatter(x=track.since_key, y=result.frame_iou, mode="markers", name="frames",
                                 marker=dict(color="#999999", size=6),
                                 text=[f"frame {i}" for i in range(len(result.frames))]))
        fig.add_trace(go.Scatter(x=np.arange(len(result.drift)), y=result.drift, mode="lines+markers",
                                 name="mean", line=dict(color=METHOD_COLOURS.get(result.flow, "#d62728"), width=3)))
    fig.update_layout(title=f"Drift: IoU vs {result.reference_kind}, {METHOD_LABELS.get(result.flow, result.flow)}, "
                            f"k={result.k}", xaxis_title="frames since the last key frame", yaxis_title="mIoU",
                      yaxis_range=[0, 1.02], height=340, margin=dict(l=50, r=20, t=50, b=45))
    return fig


def cost_figure(sweep: CostSweep) -> go.Figure:
    """Cost/accuracy: x = GFLOPs per frame (measured), y = mIoU, one line per flow method over k (SAM 2, when it
    ran: one point, on a log x axis since it costs thousands of times more)."""
    fig = go.Figure()
    by_method: dict[str, list] = {}
    for p in sweep.points:
        by_method.setdefault(p.method, []).append(p)
    per_frame = by_method.get("per-frame", [])
    for method, points in by_method.items():
        if method not in ("per-frame", "sam2"):  # SAM 2 is one point: one key frame
            points = sorted(per_frame + points, key=lambda p: p.k)
        fig.add_trace(go.Scatter(x=[p.gflops_per_frame for p in points], y=[p.miou for p in points],
                                 mode="lines+markers+text",
                                 text=["one key frame" if p.method == "sam2" else f"k={p.k}" for p in points],
                                 textposition="top center", name=METHOD_LABELS.get(method, method),
                                 marker=dict(size=9, color=METHOD_COLOURS.get(method)),
                                 line=dict(color=METHOD_COLOURS.get(method))))
    if "sam2" in by_method:
        fig.update_xaxes(type="log")
    fig.update_layout(title=f"Cost vs accuracy on this clip (mIoU vs {sweep.reference_kind})",
                      xaxis_title="GFLOPs per frame (FlopCounterMode)", yaxis_title="mIoU", height=380,
                      margin=dict(l=50, r=20, t=50, b=45), legend=dict(orientation="h", y=-0.25))
    return fig


SWEEP_HEADERS = ["method", "k", "GFLOPs/frame", "mIoU", "warp error", "ms/frame"]


def sweep_rows(sweep: CostSweep) -> list[list]:
    """The sweep's measurements as table rows (columns SWEEP_HEADERS), rounded for display."""
    return [[p.method, p.k, round(p.gflops_per_frame, 4), round(p.miou, 4), round(p.mean_warp_error, 2),
             round(p.seconds_per_frame * 1000, 1)] for p in sweep.points]


def write_overlay_video(result: MaskPropagationResult, path: str | Path) -> Path:
    """H.264 mp4 of the overlays (key frames with a yellow border), at the clip's sampling rate."""
    frames = np.stack([render_overlay(result, t) for t in range(len(result.frames))])
    return write_mp4(frames, path, fps=max(1.0, result.fps))


def export_bundle(result: MaskPropagationResult, folder: str | Path) -> Path:
    """Write masks/frame_XXXX.png (class ids), propagation.npz, overlay.mp4 and metrics.json into `folder`
    and zip them into folder/mask_propagation.zip (returned)."""
    folder = Path(folder)
    (folder / "masks").mkdir(parents=True, exist_ok=True)
    for t, labels in enumerate(result.track.labels):
        cv2.imwrite(str(folder / "masks" / f"frame_{t:04d}.png"), labels)
    track = result.track
    np.savez_compressed(folder / "propagation.npz", labels=track.labels, is_key=track.is_key,
                        key_index=track.key_index, flow=track.flow, warp_error=track.warp_error,
                        flops=track.flops, frame_iou=result.frame_iou, class_names=np.array(track.class_names))
    write_overlay_video(result, folder / "overlay.mp4")
    meta = result.metrics() | {"class_names": list(result.track.class_names),
                               "palette": {n: hex_colour(i) for i, n in enumerate(result.track.class_names)}}
    (folder / "metrics.json").write_text(json.dumps(meta, indent=2))
    archive = folder / "mask_propagation.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path != archive:
                zf.write(path, path.relative_to(folder))
    return archive
