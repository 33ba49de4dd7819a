"""What the Training cost tab's Download holds: the figures and table the measurement shows, the data-parallel
table when it was measured, every measurement's arrays and numbers.

    path = export_training_cost(result, folder, settings={...}, measure="peak", parallel=parallel)
"""
from __future__ import annotations

from pathlib import Path

from lib.export import ExportParts, arrays_of, write_export
from lib.methods.training_cost.render import PARALLEL_HEADERS, parallel_table, render_training_cost
from lib.methods.training_cost.result import TABLE_HEADERS, TrainingCostResult


def training_cost_export_parts(result: TrainingCostResult | None, *, settings: dict | None = None,
                               clip: str | Path | None = None, measure: str = "peak", parallel: tuple = ()
                               ) -> ExportParts:
    """The zip's parts: taxonomy, bars, loss curves, table and summary, as the tab shows them for `measure`."""
    taxonomy, bars, losses, table, summary = render_training_cost(result, measure=measure, parallel=parallel or ())
    numbers: dict = {"measure": measure, "table": {"headers": TABLE_HEADERS, "rows": table}}
    if result is not None:
        numbers.update({"complete": result.complete, "stopped": result.stopped, "steps": result.steps,
                        "budget_mb": result.budget_mb, "machine": result.machine, "config": result.config,
                        "losses": {m.recipe.label: list(m.losses) for m in result.measurements}})
    if parallel:
        numbers["data_parallel"] = {"headers": PARALLEL_HEADERS, "rows": parallel_table(tuple(parallel))}
    arrays = {"result": arrays_of(result)} if result is not None else {}
    if parallel:
        arrays["data_parallel"] = arrays_of(tuple(parallel))
    return ExportParts(tab="training_cost", settings=settings or {}, numbers=numbers, clip=clip,
                       figures={"taxonomy": taxonomy, "cost_bars": bars, "loss_curves": losses}, arrays=arrays,
                       texts={"summary.md": summary} if summary else {})


def export_training_cost(result: TrainingCostResult | None, folder: str | Path, *, settings: dict | None = None,
                         clip: str | Path | None = None, measure: str = "peak", parallel: tuple = ()) -> Path:
    """Write the Training cost tab's zip into `folder`; returns its path (folder/training_cost.zip)."""
    return write_export(training_cost_export_parts(result, settings=settings, clip=clip, measure=measure,
                                                   parallel=parallel), folder)
