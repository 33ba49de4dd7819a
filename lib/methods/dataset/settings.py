"""What a batch job runs: the tasks (one per tab), their options, sweeps over them, and a row's key.

A task's options are the keyword arguments of that tab's `run_<tab>` that the tab shows; their defaults are
read from the face's own signature (one place), so a batch row with no option set equals the tab untouched.

    TASKS                                   task name -> TaskSpec (run_<tab> name, options)
    expand_settings("mask-propagation", {"k": "1,2,5,10"}, defaults) -> four settings dicts (a sweep: cross product)
    settings_key(settings) -> '{"flow": "mpvss", "k": 5, ...}'   canonical JSON (sorted keys)
    job_key(path, task, settings) -> str                         what resume compares
"""
from __future__ import annotations

import inspect
import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lib.errors import UserInputError


@dataclass(frozen=True)
class Option:
    """One setting of a task. cli: the command-line flag without dashes (shared across tasks, e.g. "model");
    keyword: the argument of run_<tab> it feeds; kind: "int", "float", "str" or "bool"."""

    cli: str
    keyword: str
    kind: str


@dataclass(frozen=True)
class TaskSpec:
    """A batch task: the tab's run_<tab> (`function`, imported in measure.py) and the settings it takes."""

    name: str
    function: str
    options: tuple[Option, ...]

    def defaults(self, run: Callable) -> dict[str, object]:
        """keyword -> default, read from the signature of `run` (the face's run_<tab>)."""
        params = inspect.signature(run).parameters
        return {o.keyword: params[o.keyword].default for o in self.options}


TASKS: dict[str, TaskSpec] = {spec.name: spec for spec in (
    TaskSpec("tubes", "run_tubes", (
        Option("model", "model_name", "str"), Option("num-frames", "num_frames", "int"),
        Option("short-side", "short_side", "int"))),
    TaskSpec("attention", "run_attention", (
        Option("model", "model", "str"), Option("compare", "compare", "bool"), Option("parts", "parts", "str"))),
    TaskSpec("token-merging", "run_token_merging", (
        Option("model", "model", "str"), Option("num-frames", "num_frames", "int"),
        Option("num-segments", "num_segments", "int"), Option("tokens-per-segment", "tokens_per_segment", "int"),
        Option("num-global", "num_global", "int"), Option("metric", "metric", "str"))),
    TaskSpec("mask-propagation", "run_mask_propagation", (
        Option("segmentor", "segmentor", "str"), Option("flow", "flow", "str"), Option("k", "k", "int"))),
    TaskSpec("long-range", "run_long_range", (
        Option("budget-mb", "budget_mb", "float"),)),
)}

# The tab (title in app.TABS) that shows each task, for the Dataset tab's "open this row".
TAB_OF_TASK = {"tubes": "Tubes", "attention": "Attention", "token-merging": "Token merging",
               "mask-propagation": "Mask propagation", "long-range": "Long range"}
CLI_OPTIONS = tuple(sorted({o.cli: o for spec in TASKS.values() for o in spec.options}))


def task_spec(task: str) -> TaskSpec:
    if task not in TASKS:
        raise UserInputError(f"Unknown task {task!r}; choose one of: {', '.join(TASKS)}.")
    return TASKS[task]


def _parse(value: str, kind: str, flag: str) -> object:
    text = value.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError as err:
        raise UserInputError(f"--{flag} takes numbers separated by commas; {text!r} is not one.") from err
    if kind == "bool":
        if text.lower() not in {"true", "false", "1", "0", "yes", "no"}:
            raise UserInputError(f"--{flag} takes true or false; got {text!r}.")
        return text.lower() in {"true", "1", "yes"}
    return text


def expand_settings(task: str, given: Mapping[str, str | None], defaults: Mapping[str, object]
                    ) -> list[dict[str, object]]:
    """Every settings dict of the sweep: given maps a CLI flag to "v1,v2,..." (None: the tab's default,
    from `defaults`: keyword -> value, see measure.task_defaults).

    Raises UserInputError for a flag that the task does not take."""
    spec = task_spec(task)
    by_cli = {o.cli: o for o in spec.options}
    wrong = [flag for flag, value in given.items() if value is not None and flag not in by_cli]
    if wrong:
        raise UserInputError(f"The {task} task does not take --{', --'.join(wrong)}; it takes "
                             f"--{', --'.join(by_cli)}.")
    axes = []
    for option in spec.options:
        value = given.get(option.cli)
        values = [defaults[option.keyword]] if value is None else [
            _parse(v, option.kind, option.cli) for v in str(value).split(",") if v.strip()]
        axes.append([(option.keyword, v) for v in values])
    return [dict(combo) for combo in itertools.product(*axes)]


def settings_key(settings: Mapping[str, object]) -> str:
    return json.dumps(dict(settings), sort_keys=True, default=str)


def job_key(path: str, task: str, settings: Mapping[str, object]) -> str:
    """The identity of one row for resume: the row's path (identity.portable_path), task, canonical settings."""
    return f"{path}|{task}|{settings_key(settings)}"
