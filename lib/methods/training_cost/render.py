"""Plotly figures and tables of training-cost measurements: taxonomy sunburst, cost bars, loss curves.

    taxonomy, bars, losses, table, summary = render_training_cost(result, measure="peak", parallel=...)
    parallel_table(parallel)                     rows of PARALLEL_HEADERS (data parallel vs ZeRO-1)

Every figure takes the measurements (lib.methods.training_cost.step.RecipeMeasurement, baseline first) and
draws only measured numbers; taxonomy leaves without a measurement say why.
"""
from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import plotly.graph_objects as go

from lib.errors import UserInputError
from lib.methods.training_cost.result import MB, MEMORY_MEASURES, TrainingCostResult, memory_of, ratios
from lib.methods.training_cost.taxonomy import MEASURED, NOT_MEASURABLE, TAXONOMY, machine_description

if TYPE_CHECKING:  # the measurements are read here, never made: no model or training step is imported
    from lib.methods.training_cost.parallel import ParallelMeasurement
    from lib.methods.training_cost.step import RecipeMeasurement

_STATUS_COLOURS = {MEASURED: "#2a9d8f", NOT_MEASURABLE: "#c9c9c9", "": "#dfe7ef"}
_NOT_MEASURED_COLOUR = "#f1e3b5"  # pale sand


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


def render_training_cost(result: TrainingCostResult | None, *, measure: str = "peak",
                         parallel: tuple[ParallelMeasurement, ...] = ()
                         ) -> tuple[go.Figure, go.Figure | None, go.Figure | None, list[list], str]:
    """(taxonomy sunburst, cost bars, loss curves, table rows, summary markdown); bars and losses are None
    until the baseline is measured. `measure` is one of MEMORY_MEASURES; `parallel` (from run_data_parallel)
    annotates the data-parallel leaf of the taxonomy."""
    if measure not in MEMORY_MEASURES:
        raise UserInputError(f"Choose the memory measure from: {', '.join(MEMORY_MEASURES)}.")
    measured = result.measurements if result is not None else ()
    bars = cost_bars_figure(measured, measure=measure) if measured else None
    losses = loss_curves_figure(measured) if measured else None
    extra = {}
    modes = {p.mode: p for p in parallel}
    if {"ddp", "zero1"} <= set(modes):
        share = max(modes["zero1"].optimizer_state_bytes) / max(modes["ddp"].optimizer_state_bytes)
        extra["data_parallel"] = (f"ZeRO-1: optimiser state ×{share:.2f}/process",
                                  f"measured with {modes['ddp'].world_size} gloo processes: ZeRO-1 keeps "
                                  f"×{share:.2f} of plain data parallelism's AdamW state per process")
    table = result.table() if result is not None else []
    summary = result.summary() if result is not None else ""
    return taxonomy_figure(measured, measure=measure, extra=extra), bars, losses, table, summary


PARALLEL_HEADERS = ["mode", "process", "parameters MB", "optimiser state MB", "peak MB", "replicas identical",
                    "last loss (process 0)"]


def parallel_table(parallel: tuple[ParallelMeasurement, ...]) -> list[list]:
    """Rows of PARALLEL_HEADERS, one per mode and process."""
    names = {"ddp": "data parallel", "zero1": "ZeRO-1 (optimiser sharded)"}
    return [[names[p.mode], rank, round(p.parameter_bytes[rank] / MB, 2), round(p.optimizer_state_bytes[rank] / MB, 2),
             round(p.peak_bytes[rank] / MB, 2), p.replicas_identical, round(p.losses[-1], 4)]
            for p in parallel for rank in range(p.world_size)]
