"""Notebook widget of the training-cost tab: re-draw a finished run under another memory measure (no re-run)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as widgets
from IPython.display import display

from lib.methods.training_cost.render import MEMORY_MEASURES, render_training_cost

if TYPE_CHECKING:
    from lib.methods.training_cost.result import TrainingCostResult


def training_cost_explorer(result: TrainingCostResult):
    """Notebook widget: a memory-measure picker re-drawing the bars and the taxonomy from `result` (no re-run)."""
    picker = widgets.ToggleButtons(options=[(label, key) for key, label in MEMORY_MEASURES.items()], value="peak",
                                   description="memory")
    output = widgets.Output()

    def draw(change: dict | None = None) -> None:
        taxonomy, bars, _, _, _ = render_training_cost(result, measure=picker.value)
        output.clear_output(wait=True)
        with output:
            display(bars)
            display(taxonomy)

    picker.observe(draw, names="value")
    draw()
    return widgets.VBox([picker, output])
