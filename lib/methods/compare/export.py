"""What the Compare tab's Download holds: both sides (their pictures at the shared frame the tab opens on,
their arrays, their numbers) and the comparison's JSON record in the manifest.

    path = export_compare(result, folder)   # folder/compare.zip; manifest numbers = compare_numbers(result)
"""
from __future__ import annotations

from pathlib import Path

from lib.export import ExportParts, arrays_of, write_export
from lib.methods.compare.spec import Side
from lib.methods.compare.task import CompareResult, compare_numbers, compare_rows, render_compare, summary

TABLE_HEADERS = ("quantity", "A", "B")


def side_models(side: Side) -> tuple[str, ...]:
    """Catalog names of the models behind one side (read from its task result: model_name, segmentor, views)."""
    result = side.result
    names = [getattr(result, attr) for attr in ("model_name", "segmentor")
             if isinstance(getattr(result, attr, None), str)]
    names += [view.model_name for view in getattr(result, "views", ()) or () if hasattr(view, "model_name")]
    return tuple(dict.fromkeys(names))


def compare_export_parts(result: CompareResult, *, settings: dict | None = None, clip: str | Path | None = None
                         ) -> ExportParts:
    """The zip's parts: A and B at the middle frame (where the tab opens), both results' arrays, the numbers."""
    start = result.num_frames // 2
    image_a, image_b, caption = render_compare(result, start)
    numbers = {**compare_numbers(result), "table": {"headers": TABLE_HEADERS, "rows": compare_rows(result)},
               "shown_frame": {"index": start, "caption": caption}}
    settings = {**(settings or {}), "comparison": result.comparison,
                "A": {"variant": result.a.setting.variant, "number": result.a.setting.number},
                "B": {"variant": result.b.setting.variant, "number": result.b.setting.number}}
    return ExportParts(tab="compare", models=tuple(dict.fromkeys(side_models(result.a) + side_models(result.b))),
                       settings=settings, numbers=numbers, clip=clip if clip is not None else result.source,
                       pictures={"A": image_a, "B": image_b},
                       arrays={"A": arrays_of(result.a.result), "B": arrays_of(result.b.result)},
                       texts={"summary.md": summary(result)})


def export_compare(result: CompareResult, folder: str | Path, *, settings: dict | None = None,
                   clip: str | Path | None = None) -> Path:
    """Write the Compare tab's zip into `folder`; returns its path (folder/compare.zip)."""
    return write_export(compare_export_parts(result, settings=settings, clip=clip), folder)
