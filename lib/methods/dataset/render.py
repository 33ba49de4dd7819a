"""The Dataset tab's figures: a scatter plot of two numbers per row and a histogram of one (plotly)."""
from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go

from lib.methods.dataset.results import DatasetResults


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def render_scatter(results: DatasetResults, task: str, x: str, y: str, colour: str | None = None) -> go.Figure:
    """One point per row of `task` at (row[x], row[y]); one trace per value of `colour` (e.g. a setting, k)."""
    rows = [r for r in results.task_rows(task) if _number(r.get(x)) is not None and _number(r.get(y)) is not None]
    groups: dict[object, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get(colour) if colour else None, []).append(row)
    figure = go.Figure()
    # numbers in numeric order (k = 1, 2, 5, 10), then anything else by its text
    for value, members in sorted(groups.items(), key=lambda kv: (_number(kv[0]) is None, _number(kv[0]) or 0,
                                                                  str(kv[0]))):
        name = f"{colour} = {value}" if colour else "all"
        figure.add_trace(go.Scatter(x=[r[x] for r in members], y=[r[y] for r in members], mode="markers", name=name,
                                    text=[Path(r["path"]).name for r in members],
                                    hovertemplate="%{text}<br>" + f"{x} %{{x}}<br>{y} %{{y}}<extra></extra>"))
    figure.update_layout(title=f"{task}: {y} vs {x} ({len(rows)} rows)", xaxis_title=x, yaxis_title=y,
                         height=420, margin={"l": 50, "r": 20, "t": 50, "b": 40})
    return figure


def render_histogram(results: DatasetResults, task: str, column: str) -> go.Figure:
    """The distribution of `column` over the rows of `task`."""
    values = [v for r in results.task_rows(task) if (v := _number(r.get(column))) is not None]
    figure = go.Figure(go.Histogram(x=values, nbinsx=min(40, max(5, len(values) // 4))))
    figure.update_layout(title=f"{task}: {column} over {len(values)} rows", xaxis_title=column, yaxis_title="rows",
                         height=360, margin={"l": 50, "r": 20, "t": 50, "b": 40})
    return figure
