"""Plotly figures of training-cost measurements: taxonomy sunburst, cost bars, loss curves.

Every figure takes the measurements (lib.methods.training_cost.step.RecipeMeasurement, baseline first) and
draws only measured numbers; taxonomy leaves without a measurement say why.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence

import plotly.graph_objects as go

from lib.methods.training_cost.step import RecipeMeasurement
from lib.methods.training_cost.taxonomy import MEASURED, NOT_MEASURABLE, TAXONOMY, machine_description

MB = 2 ** 20
MEMORY_MEASURES = {"peak": "peak tensor memory", "activations": "stored activations", "step": "step peak"}
_STATUS_COLOURS = {MEASURED: "#2a9d8f", NOT_MEASURABLE: "#c9c9c9", "": "#dfe7ef"}
_NOT_MEASURED_COLOUR = "#f1e3b5"  # pale sand


def memory_of(m: RecipeMeasurement, measure: str) -> int:
    """Bytes for one of MEMORY_MEASURES: whole-run peak, stored activations, or the last step's peak."""
    return {"peak": m.memory.peak_bytes, "activations": m.memory.activation_bytes,
            "step": m.memory.step_peak_bytes}[measure]


def ratios(m: RecipeMeasurement, baseline: RecipeMeasurement, measure: str = "peak") -> tuple[float, float]:
    """(time ratio, memory ratio) of `m` relative to the baseline (1.0 = same; < 1 = cheaper)."""
    time_ratio = m.seconds_per_step / baseline.seconds_per_step
    base_memory = memory_of(baseline, measure)
    return time_ratio, (memory_of(m, measure) / base_memory if base_memory else float("nan"))


def _single_technique(measurements: Sequence[RecipeMeasurement]) -> dict[str, RecipeMeasurement]:
    """Technique key -> its measurement alone (recipes that switch on exactly one technique)."""
    return {m.recipe.keys[0]: m for m in measurements if len(m.recipe.keys) == 1}


def taxonomy_figure(measurements: Sequence[RecipeMeasurement], *, measure: str = "peak",
                    extra: dict[str, tuple[str, str]] | None = None) -> go.Figure:
    """Sunburst of the survey's taxonomy; measured leaves show their time and memory relative to the baseline.

    extra: node id -> (label line, hover text) for leaves measured outside the recipe comparison
    (the data-parallel / ZeRO run); they are coloured as measured.
    """
    extra = extra or {}
    alone = _single_technique(measurements)
    baseline = next((m for m in measurements if not m.recipe.keys), None)
    labels, hovers, colours = [], [], []
    for node in TAXONOMY:
        label, colour = node.label, _STATUS_COLOURS.get(node.status, _NOT_MEASURED_COLOUR)
        if node.node_id in extra:
            label += f"<br><b>{extra[node.node_id][0]}</b>"
            hover, colour = extra[node.node_id][1], _STATUS_COLOURS[MEASURED]
        elif node.status == MEASURED and node.technique in alone and baseline is not None:
            t, mem = ratios(alone[node.technique], baseline, measure)
            label += f"<br><b>time ×{t:.2f} · mem ×{mem:.2f}</b>"
            hover = (f"measured: {alone[node.technique].recipe.label}<br>time per step ×{t:.2f}, "
                     f"{MEMORY_MEASURES[measure]} ×{mem:.2f} of the fp32 baseline")
        elif node.status == MEASURED:
            hover, colour = "measurable here: tick it under 'techniques' and run", "#9fd8cf"
        elif node.status == NOT_MEASURABLE:
            hover = f"not measurable here: {node.reason}<br>(this machine: {machine_description()})"
        elif node.status:
            hover = f"not measured in this tab: {node.reason}"
        else:
            hover = node.label.replace("<br>", " ")
        labels.append(label)
        hovers.append(hover)
        colours.append(colour)
    # The root is left out so the three top categories form the inner ring and the leaves get more room;
    # clicking a category zooms into it.
    keep = [i for i, n in enumerate(TAXONOMY) if n.parent]
    fig = go.Figure(go.Sunburst(
        ids=[TAXONOMY[i].node_id for i in keep], labels=[labels[i] for i in keep],
        parents=[TAXONOMY[i].parent if TAXONOMY[i].parent != "root" else "" for i in keep],
        hovertext=[hovers[i] for i in keep], hoverinfo="text",
        marker=dict(colors=[colours[i] for i in keep], line=dict(color="white", width=1)),
        insidetextorientation="horizontal", textfont=dict(size=11)))
    fig.update_layout(title="The survey's taxonomy: <span style='color:#2a9d8f'>■</span> measured here · "
                            "<span style='color:#9a9a9a'>■</span> needs hardware this machine lacks · "
                            "<span style='color:#d9c27a'>■</span> not measured in this tab (click to zoom)",
                      title_font_size=13, margin=dict(l=0, r=0, t=40, b=0), height=680)
    return fig


def cost_bars_figure(measurements: Sequence[RecipeMeasurement], *, measure: str = "peak") -> go.Figure:
    """Grouped bars: time per step and memory of every recipe relative to the fp32 baseline (dashed line = 1)."""
    baseline = measurements[0]
    names = ["<br>".join(textwrap.wrap(m.recipe.label, 14)) for m in measurements]
    pairs = [ratios(m, baseline, measure) for m in measurements]
    top = max([1.0] + [v for p in pairs for v in p if v == v])  # v == v drops NaN
    fig = go.Figure()
    fig.add_bar(name="time per step", x=names, y=[p[0] for p in pairs], marker_color="#457b9d",
                text=[f"×{p[0]:.2f}" for p in pairs], textposition="outside",
                customdata=[f"{m.seconds_per_step * 1000:.0f} ms" for m in measurements],
                hovertemplate="%{x}<br>time ×%{y:.2f} (%{customdata})<extra></extra>")
    fig.add_bar(name=MEMORY_MEASURES[measure], x=names, y=[p[1] for p in pairs], marker_color="#e76f51",
                text=[f"×{p[1]:.2f}" for p in pairs], textposition="outside",
                customdata=[f"{memory_of(m, measure) / MB:.1f} MB" for m in measurements],
                hovertemplate="%{x}<br>memory ×%{y:.2f} (%{customdata})<extra></extra>")
    fig.add_hline(y=1.0, line_dash="dash", line_color="#333")
    fig.update_layout(barmode="group", title=f"Relative to the fp32 baseline ({baseline.seconds_per_step * 1000:.0f}"
                                             f" ms/step, {memory_of(baseline, measure) / MB:.1f} MB "
                                             f"{MEMORY_MEASURES[measure]})",
                      title_font_size=13, yaxis_title="× baseline (lower is cheaper)", height=460,
                      yaxis_range=[0, top * 1.18], xaxis_tickangle=0, margin=dict(l=50, r=10, t=80, b=90),
                      legend=dict(orientation="h", y=1.12, x=0))
    return fig


def loss_curves_figure(measurements: Sequence[RecipeMeasurement]) -> go.Figure:
    """Training loss after each step, one line per recipe (same start weights and batch)."""
    fig = go.Figure()
    for m in measurements:
        fig.add_scatter(x=list(range(1, len(m.losses) + 1)), y=list(m.losses), mode="lines+markers",
                        name=m.recipe.label)
    fig.update_layout(title="Loss after each step (same initial weights, same batch)", title_font_size=13,
                      xaxis_title="step", yaxis_title="cross-entropy", height=380,
                      margin=dict(l=50, r=10, t=50, b=40))
    return fig
