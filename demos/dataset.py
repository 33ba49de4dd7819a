"""Dataset tab: the results of a batch run (Parquet from `python -m lib.batch`): scatter plots, distributions,
a sortable table, the errors, and a row opening its video in the chooser and its tab."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from demos.common import bind, friendly_errors
from lib.methods.dataset import (
    BUNDLED_RESULTS,
    error_rows,
    load_results,
    open_row,
    render_histogram,
    render_scatter,
    table_rows,
)

INTRO = """### Dataset: one tab's numbers over many videos
`python -m lib.batch` runs a tab's computation over a folder of videos on Ray and writes one Parquet row per
(video, task, setting). The bundled results cover the example clips and 200 toy-world clips. Pick two
numbers to plot, sort the table, and click a row to open that video in the chooser; **Open in its tab**
switches to the tab the row came from (set the settings shown to get the same numbers)."""

# Clicks the tab whose title the handler wrote into the hidden box (app.py's tabs have no ids to select).
OPEN_TAB_JS = """(title) => { const b = [...document.querySelectorAll('button[role="tab"]')]
  .find(t => t.innerText.trim() === title); if (b) b.click(); return title; }"""


@dataclass(frozen=True)
class DatasetView:
    """The tab's components (handlers return {component: value})."""

    state: gr.State
    task: gr.Dropdown
    x: gr.Dropdown
    y: gr.Dropdown
    colour: gr.Dropdown
    column: gr.Dropdown
    sort_by: gr.Dropdown
    scatter: gr.Plot
    histogram: gr.Plot
    table: gr.Dataframe
    errors: gr.Dataframe
    summary: gr.Markdown
    target: gr.Markdown
    chosen: gr.State
    tab: gr.Textbox
    video: gr.Video


def _pick(columns: list[str], *preferred: str) -> str | None:
    return next((c for c in preferred if c in columns), columns[0] if columns else None)


@friendly_errors
def open_results(source, *, view: DatasetView) -> dict:
    """Main action: a results folder or .parquet -> tasks, plots, table and errors of the first task."""
    results = load_results(source or BUNDLED_RESULTS)
    tasks = results.tasks()
    task = tasks[0] if tasks else None
    return {view.state: results, view.task: gr.update(choices=tasks, value=task),
            view.summary: f"{len(results.rows)} rows over {len({r['path'] for r in results.rows})} videos and "
                          f"{len(results.errors)} errors in `{results.source}` (tasks: {', '.join(tasks)}).",
            view.errors: error_rows(results), **(choose_task(results, task, view=view) if task else {})}


def choose_task(results, task, *, view: DatasetView) -> dict:
    """Handler: a task -> its columns in the pickers, the default plots and the table."""
    if results is None or not task:
        return {}
    columns = results.numeric_columns(task)
    settings = [c for c in columns if c.startswith("setting_")]
    numbers = [c for c in columns if not c.startswith("setting_")]
    x = _pick(numbers, "gflops_per_frame", "tube_tokens", "duration_s", "merged_tokens")
    y = _pick([c for c in numbers if c != x], "miou", "tube_gflops_vit_b", "s4_score", "seconds")
    colour = _pick(settings, "setting_k") if settings else None
    headers, rows = table_rows(results, task)
    return {view.x: gr.update(choices=numbers, value=x), view.y: gr.update(choices=numbers, value=y),
            view.colour: gr.update(choices=["", *settings], value=colour or ""),
            view.column: gr.update(choices=numbers, value=y), view.sort_by: gr.update(choices=["", *columns], value=""),
            view.scatter: render_scatter(results, task, x, y, colour),
            view.histogram: render_histogram(results, task, y),
            view.table: gr.update(value=rows, headers=headers)}


def redraw(results, task, x, y, colour, column, *, view: DatasetView) -> dict:
    """Handler: other columns -> the two figures."""
    if results is None or not task or not x or not y:
        return {}
    return {view.scatter: render_scatter(results, task, x, y, colour or None),
            view.histogram: render_histogram(results, task, column or y)}


def sort_table(results, task, sort_by, *, view: DatasetView) -> dict:
    """Handler: sort the table by a column (largest first)."""
    if results is None or not task:
        return {}
    headers, rows = table_rows(results, task, sort_by=sort_by or None, descending=True)
    return {view.table: gr.update(value=rows, headers=headers)}


@friendly_errors
def pick_row(results, task, evt: gr.SelectData):
    """Handler: a click on a table row -> (its tab's title, where it opens, its video for the chooser)."""
    if results is None or evt is None or not evt.row_value:
        return gr.update(), gr.update(), gr.update()
    target = open_row(results, task, int(evt.row_value[0]))
    return target.tab, target.description, target.video if target.video else gr.update()


def tab_title(title):
    """Handler: the chosen row's tab title -> the hidden box the JavaScript reads."""
    return title or ""


def build_tab(video: gr.Video) -> None:
    """Components and events of the tab; `video` is the app's shared chooser (a path or None)."""
    gr.Markdown(INTRO)
    with gr.Row():
        source = gr.Textbox(str(BUNDLED_RESULTS), label="Results (a batch output folder or a .parquet file)",
                            scale=4, elem_id="dataset-source")
        load = gr.Button("Open results", variant="primary", scale=1, elem_id="dataset-open")
    summary = gr.Markdown(elem_id="dataset-summary")
    with gr.Row():
        task = gr.Dropdown([], label="Task", elem_id="dataset-task")
        x, y = gr.Dropdown([], label="x"), gr.Dropdown([], label="y")
        colour = gr.Dropdown([], label="Colour by (a setting)")
    with gr.Row():
        scatter = gr.Plot(label="Scatter")
        with gr.Column():
            column = gr.Dropdown([], label="Distribution of")
            histogram = gr.Plot(label="Distribution")
    sort_by = gr.Dropdown([], label="Sort the table by (largest first)")
    table = gr.Dataframe(label="Rows (click one to open its video)", interactive=False, elem_id="dataset-table")
    target = gr.Markdown(elem_id="dataset-target")
    open_tab = gr.Button("Open in its tab", elem_id="dataset-open-tab")
    tab = gr.Textbox(visible=False)
    errors = gr.Dataframe(headers=["video", "task", "settings", "error"], label="Errors (videos that failed)",
                          interactive=False, elem_id="dataset-errors")
    state, chosen = gr.State(), gr.State()
    view = DatasetView(state, task, x, y, colour, column, sort_by, scatter, histogram, table, errors, summary,
                       target, chosen, tab, video)

    outputs = [state, task, x, y, colour, column, sort_by, scatter, histogram, table, errors, summary]
    load.click(bind(open_results, view), inputs=source, outputs=outputs, api_name="dataset")
    task.input(bind(choose_task, view), inputs=[state, task], outputs=[x, y, colour, column, sort_by, scatter,
                                                                     histogram, table], api_visibility="private")
    for picker in (x, y, colour, column):
        picker.input(bind(redraw, view), inputs=[state, task, x, y, colour, column], outputs=[scatter, histogram],
                     api_visibility="private")
    sort_by.input(bind(sort_table, view), inputs=[state, task, sort_by], outputs=table, api_visibility="private")
    table.select(pick_row, inputs=[state, task], outputs=[chosen, target, video],
                 api_visibility="private")
    open_tab.click(tab_title, inputs=chosen, outputs=tab, api_visibility="private").then(
        None, inputs=tab, outputs=None, js=OPEN_TAB_JS)
