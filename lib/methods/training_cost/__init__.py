"""Training cost (Zhuang et al., "A Survey on Efficient Training of Transformers", IJCAI 2023): one training
step of a small video transformer under each technique, measured live.

Usage map (the Gradio tab and notebooks/training_cost.ipynb import only from here):

    result = run_training_cost(video_or_None, data="toy-world batch", techniques=(...), combination=(...))
    for partial in iter_training_cost(video_or_None, ..., should_stop=...): ...   # the same, step by step
    taxonomy, bars, losses, table, summary = render_training_cost(result, measure="peak", parallel=parallel)
    parallel = run_data_parallel(video_or_None, ...)   # 2 gloo processes: plain data parallel vs ZeRO-1
    parallel_table(parallel)                           # rows of PARALLEL_HEADERS
    training_cost_explorer(result)                     # notebook widget (ipywidgets, loaded on first use)

    Parts for the notebook: SmallVideoTransformerConfig (model.py), toy_batch (data.py), TECHNIQUES,
    TrainingRecipe, recipe_for (recipe.py), predict_memory, parameter_counts (predict.py), build_model,
    initial_state, forward_backward, measure_recipe (step.py).

Where things live: task.py (run_* / iter_*), result.py (the result type and its ratios), render.py (figures
and tables), widgets.py (the notebook widget), model.py, recipe.py, step.py, memory.py, predict.py,
parallel.py, rss.py, taxonomy.py, data.py.
    export_training_cost(result, folder, settings={...}, clip=path, measure="peak", parallel=parallel)  # Download zip
"""
from lib.methods.training_cost.data import toy_batch
from lib.methods.training_cost.export import export_training_cost, training_cost_export_parts
from lib.methods.training_cost.model import SmallVideoTransformerConfig
from lib.methods.training_cost.predict import parameter_counts, predict_memory
from lib.methods.training_cost.recipe import TECHNIQUES, TrainingRecipe, recipe_for
from lib.methods.training_cost.render import PARALLEL_HEADERS, parallel_table, render_training_cost
from lib.methods.training_cost.result import MEMORY_MEASURES, TABLE_HEADERS, TrainingCostResult
from lib.methods.training_cost.step import build_model, forward_backward, initial_state, measure_recipe
from lib.methods.training_cost.task import (
    DATA_SOURCES,
    DEFAULT_TECHNIQUES,
    iter_training_cost,
    run_data_parallel,
    run_training_cost,
    technique_choices,
)

_WIDGETS = ("training_cost_explorer",)  # loaded on first use: the app never needs ipywidgets


def __getattr__(name: str):
    if name in _WIDGETS:
        from lib.methods.training_cost import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_WIDGETS])


__all__ = [
    "export_training_cost", "training_cost_export_parts",
    "DATA_SOURCES", "DEFAULT_TECHNIQUES", "MEMORY_MEASURES", "PARALLEL_HEADERS", "TABLE_HEADERS", "TECHNIQUES",
    "SmallVideoTransformerConfig", "TrainingCostResult", "TrainingRecipe", "build_model", "forward_backward",
    "initial_state", "iter_training_cost", "measure_recipe", "parameter_counts", "parallel_table", "predict_memory",
    "recipe_for", "render_training_cost", "run_data_parallel", "run_training_cost", "technique_choices",
    "toy_batch", "training_cost_explorer",
]
