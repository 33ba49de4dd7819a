"""Dataset tab: the results of a batch run (Parquet from `python -m lib.batch`): scatter plots, distributions,
a sortable table, the errors, and a row opening its video in the chooser and its tab with the row's settings
(for tabs that registered their controls in demos.tab_controls; others open with their own settings)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import gradio as gr

from demos.common import bind, friendly_errors
from demos.tab_controls import TabControls, all_components, registered_tabs, settings_updates
from lib.methods.dataset import (
    error_rows,
    load_results,
    open_row,
    public_server,
    render_histogram,
    render_scatter,
    results_source,
    table_rows,
)

INTRO = """### Dataset: one tab's numbers over many videos
`python -m lib.batch` runs a tab's computation over a folder of videos on Ray and writes one Parquet row per
(video, task, setting). The bundled results cover the example clips and 200 toy-world clips; upload the
`rows` and `errors` .parquet files of your own run to see it. Pick two numbers to plot, sort the table, and
click a row: its video goes into the chooser and its tab opens with the row's settings (press the tab's run
button to get the row's numbers)."""

BUNDLED_NAME = "assets/results"  # shown relative: a Space's visitors need not see the server's folders

# Clicks the tab whose title the handler wrote into the hidden box (app.py's tabs have no ids to select); on a
# narrow page Gradio moves the last tabs into its "More tabs" menu, whose buttons select them the same way; the
# page then scrolls to the tab bar, so the opened tab is seen from its top.
OPEN_TAB_JS = """(title) => { const named = (selector) => [...document.querySelectorAll(selector)]
  .find(t => t.innerText.trim() === title);
  const b = named('button[role="tab"]') || named('.overflow-dropdown button'); if (!b) return title;
  b.click(); document.querySelector('[role="tablist"]')?.scrollIntoView({block: "start"}); return title; }"""


@dataclass(frozen=True)
class DatasetView:
    """The tab's components (handlers return {component: value}); tabs: the controls other tabs registered
    (demos.tab_controls) before this tab was built, which a row's settings are put into."""

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
    tab: gr.Textbox
    video: gr.Video
    tabs: Mapping[str, TabControls]


def _pick(columns: list[str], *preferred: str) -> str | None:
    return next((c for c in preferred if c in columns), columns[0] if columns else None)


@friendly_errors
def open_results(source, uploads, *, view: DatasetView) -> dict:
    """Main action: uploaded .parquet files, else a results folder or .parquet (on a public Space only the
    bundled results) -> tasks, plots, table and errors of the first task."""
    results = load_results(results_source(source, uploads, public=public_server()))
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


def _settings_line(values: Mapping[str, object], skipped: list[str], registered: bool) -> str:
    """What became of the row's settings in its tab (the row's description has already listed them)."""
    if not registered:
        return "That tab does not take settings from rows yet: set them there by hand."
    if not skipped:
        return "Its controls now hold these settings."
    left = ", ".join(f"{k} = {values[k]}" for k in skipped)
    return f"Its controls now hold these settings except {left} (no control of the tab takes it): set by hand."


def pick_row(evt: gr.SelectData):
    """Handler: a click on a table cell -> its row's index in the task's rows (the table's `row` column)."""
    if evt is None or not evt.row_value:
        return gr.update()
    return int(evt.row_value[0])


@friendly_errors
def open_picked(results, task, index, *, view: DatasetView) -> dict:
    """Handler: a picked row -> its video in the chooser, its settings in its tab's controls, and the tab's title
    in the hidden box (the JavaScript that follows opens that tab)."""
    if results is None or index is None or not task:
        return {}
    target = open_row(results, task, int(index), public=public_server())
    tab = view.tabs.get(target.tab)
    updates, skipped = settings_updates(tab, target.settings)
    line = _settings_line(target.settings, skipped, tab is not None)
    return {view.tab: target.tab, view.target: f"{target.description} {line}",
            **({view.video: target.video} if target.video else {}), **updates}


def build_tab(video: gr.Video) -> None:
    """Components and events of the tab; `video` is the app's shared chooser (a path or None). Built after
    the tabs whose controls a row sets (demos.tab_controls.register in their build_tab)."""
    gr.Markdown(INTRO)
    with gr.Row():
        with gr.Column(scale=4):
            source = gr.Textbox(BUNDLED_NAME, label="Results (a batch output folder or a .parquet file; on "
                                "a public Space only the bundled results)", elem_id="dataset-source")
            uploads = gr.File(label="Or upload results (.parquet: the rows and errors parts of an output folder)",
                              file_count="multiple", file_types=[".parquet"], height=120, elem_id="dataset-upload")
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
    table = gr.Dataframe(label="Rows (click one to open its video and its tab with its settings)", interactive=False,
                         elem_id="dataset-table")
    target = gr.Markdown(elem_id="dataset-target")
    tab = gr.Textbox(visible=False)
    errors = gr.Dataframe(headers=["video", "task", "settings", "error"], label="Errors (videos that failed)",
                          interactive=False, elem_id="dataset-errors")
    state, picked = gr.State(), gr.State()
    tabs = registered_tabs()
    view = DatasetView(state, task, x, y, colour, column, sort_by, scatter, histogram, table, errors, summary,
                       target, tab, video, tabs)

    outputs = [state, task, x, y, colour, column, sort_by, scatter, histogram, table, errors, summary]
    load.click(bind(open_results, view), inputs=[source, uploads], outputs=outputs, api_name="dataset")
    uploads.upload(bind(open_results, view), inputs=[source, uploads], outputs=outputs, api_visibility="private")
    task.input(bind(choose_task, view), inputs=[state, task], outputs=[x, y, colour, column, sort_by, scatter,
                                                                     histogram, table], api_visibility="private")
    for picker in (x, y, colour, column):
        picker.input(bind(redraw, view), inputs=[state, task, x, y, colour, column], outputs=[scatter, histogram],
                     api_visibility="private")
    sort_by.input(bind(sort_table, view), inputs=[state, task, sort_by], outputs=table, api_visibility="private")
    table.select(pick_row, inputs=None, outputs=picked, api_visibility="private").then(
        bind(open_picked, view), inputs=[state, task, picked], outputs=[tab, target, video, *all_components(tabs)],
        api_visibility="private").then(None, inputs=tab, outputs=None, js=OPEN_TAB_JS)
