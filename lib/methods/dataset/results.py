"""Reading a batch run's Parquet for the Dataset tab and the notebook (pyarrow only: no Ray at run time).

    results = load_results("assets/results")            # a batch output folder, .parquet file(s) (uploads)
    results.tasks(); results.task_rows("tubes"); results.numeric_columns("tubes")
    headers, rows = table_rows(results, "tubes", sort_by="tube_tokens", descending=True)
    target = open_row(results, "tubes", 3)               # RowTarget: the video, the tab, its settings
Which sources and videos a public server may read: sources.py.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lib.errors import UserInputError
from lib.examples import REPO_ROOT
from lib.methods.dataset.settings import TAB_OF_TASK
from lib.methods.dataset.sources import BUNDLED_RESULTS, servable_video

IDENTITY = ("path", "duration_s", "width", "height", "fps")  # shown once, first
HIDDEN = {"key", "task", "settings", "sha256", "bytes", "worker", "artifact_npz", "artifact_png", "source_frames"}


@dataclass(frozen=True)
class DatasetResults:
    """rows / errors: one dict per Parquet row (identity, settings, numbers; errors have `error`);
    source: the folder or file they were read from."""

    rows: tuple[dict, ...]
    errors: tuple[dict, ...]
    source: str

    def tasks(self) -> list[str]:
        return sorted({row["task"] for row in self.rows})

    def task_rows(self, task: str) -> list[dict]:
        return [row for row in self.rows if row["task"] == task]

    def numeric_columns(self, task: str) -> list[str]:
        """Columns of `task`'s rows holding numbers (settings first), in table order."""
        rows = self.task_rows(task)
        names = list(dict.fromkeys(name for row in rows for name in row))
        numeric = [n for n in names if n not in HIDDEN and any(
            isinstance(row.get(n), (int, float)) and not isinstance(row.get(n), bool) for row in rows)]
        return sorted(numeric, key=lambda n: (not n.startswith("setting_"), names.index(n)))


def _read_files(files: list[Path]) -> tuple[list[dict], list[dict]]:
    """(rows, errors) of single .parquet files: a file with an `error` column is an errors table."""
    import pyarrow.parquet as pq

    rows: list[dict] = []
    errors: list[dict] = []
    for file in files:
        table = pq.read_table(file)
        (errors if "error" in table.column_names else rows).extend(table.to_pylist())
    return rows, errors


def _shown(path: Path) -> str:
    """The path as the tab shows it: relative to the project when inside it (a Space's folders stay unsaid)."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else str(path)


def load_results(source: str | Path | Sequence[str | Path] = BUNDLED_RESULTS) -> DatasetResults:
    """Every row and error under `source`: a batch output folder, a .parquet file, or a list of .parquet files
    (e.g. an output's rows and errors parts, uploaded). Raises UserInputError (a sentence) when it holds none."""
    try:
        from lib.methods.dataset.store import read_table

        many = not isinstance(source, (str, Path))
        paths = [Path(p) for p in source] if many else [Path(source)]
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise UserInputError(f"{', '.join(missing)} does not exist; give a batch output folder or a .parquet "
                                 "file.")
        if many or paths[0].suffix == ".parquet":
            rows, errors = _read_files(paths)
        else:
            rows, errors = read_table(paths[0], "rows").to_pylist(), read_table(paths[0], "errors").to_pylist()
    except ImportError as err:
        raise UserInputError("Reading results needs pyarrow: pip install -r requirements-batch.txt.") from err
    except OSError as err:
        raise UserInputError(f"{source} is not a readable Parquet data set ({err}).") from err
    shown = ", ".join(p.name for p in paths) if many else _shown(paths[0])
    if not rows and not errors:
        raise UserInputError(f"{shown} holds no batch results; run python -m lib.batch ... --output FOLDER.")
    return DatasetResults(rows=tuple(rows), errors=tuple(errors), source=shown)


def _cell(value: object) -> object:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return ", ".join(f"{v:.3g}" if isinstance(v, float) else str(v) for v in value)
    return "" if value is None else value


def table_rows(results: DatasetResults, task: str, *, sort_by: str | None = None, descending: bool = False
               ) -> tuple[list[str], list[list]]:
    """(headers, rows) of `task`: `row` (its index in task_rows), the video's name, duration and resolution,
    then the numbers and the texts that this task's rows have (other tasks' columns of the data set left out)."""
    rows = results.task_rows(task)
    columns = [c for c in results.numeric_columns(task) if c not in IDENTITY]
    shown = set(IDENTITY) | set(columns) | HIDDEN
    text = [n for n in dict.fromkeys(name for row in rows for name in row)
            if n not in shown and any(row.get(n) not in (None, "") for row in rows)]
    # settings first (numbers and texts), then numbers, then texts
    columns = sorted([*columns, *text], key=lambda n: (not n.startswith("setting_"), n in text))
    order = list(range(len(rows)))
    if sort_by:
        present = [i for i in order if rows[i].get(sort_by) is not None]
        missing = [i for i in order if rows[i].get(sort_by) is None]
        order = sorted(present, key=lambda i: rows[i][sort_by], reverse=descending) + missing
    headers = ["row", "video", "duration_s", "resolution", "fps", *columns]
    table = [[i, Path(rows[i]["path"]).name, _cell(rows[i].get("duration_s")),
              f"{rows[i].get('width')}x{rows[i].get('height')}", _cell(rows[i].get("fps")),
              *(_cell(rows[i].get(c)) for c in columns)] for i in order]
    return headers, table


def error_rows(results: DatasetResults) -> list[list[str]]:
    """[video, task, settings, sentence] of every failed job."""
    return [[Path(e["path"]).name, e["task"], e["settings"], e["error"]] for e in results.errors]


@dataclass(frozen=True)
class RowTarget:
    """Where a row opens: video (a path on this machine, or None when the file is not here), the tab's title,
    settings (keyword -> value of run_<tab>), and a one-line description."""

    video: str | None
    tab: str
    settings: dict
    description: str


def _local_path(recorded: str) -> str | None:
    path = Path(recorded)
    candidates = [path] if path.is_absolute() else [REPO_ROOT / path, Path.cwd() / path]
    return next((str(c) for c in candidates if c.is_file()), None)


def open_row(results: DatasetResults, task: str, index: int, *, public: bool = False) -> RowTarget:
    """The video, tab and settings of row `index` of task_rows(task); `public`: only bundled videos open
    (sources.servable_video)."""
    rows = results.task_rows(task)
    if not 0 <= index < len(rows):
        raise UserInputError(f"There is no row {index} for {task}; pick a row of the table.")
    row = rows[index]
    settings = json.loads(row["settings"])
    here = _local_path(row["path"])
    video = servable_video(here, public=public)
    shown = ", ".join(f"{k} = {v}" for k, v in settings.items())
    where = "" if video else (" (only the bundled clips open on this public Space, so the chooser keeps its clip)"
                              if here else " (the file is not on this machine, so the chooser keeps its clip)")
    tab = TAB_OF_TASK[task]
    return RowTarget(video=video, tab=tab, settings=settings,
                     description=f"**{Path(row['path']).name}** in the **{tab}** tab with {shown}{where}.")
