"""Compare tab: two models or two settings on the same clip, side by side, one frame index.

    result = run_compare("clip.mp4", "mask-propagation", Setting("mpvss", 5), Setting("mpvss", 1))
    image_a, image_b, caption = render_compare(result, t=3)     # from the cached result, no model runs
    compare_rows(result)                                         # [[quantity, A, B], ...]
    summary(result)                                              # Markdown: what A and B were
    write_numbers_json(result, folder)                           # settings + numbers as JSON

COMPARISONS maps a key to its ComparisonSpec (menu, defaults, run, render); get_comparison(key) checks
the key. This is the one package that imports other methods, and only through their faces.
    export_compare(result, folder, settings={...}, clip=path)  # Download zip
    real_video_notice(path, key, a, b)                           # one line when toy models meet a real clip
"""
from lib.methods.compare.export import compare_export_parts, export_compare
from lib.methods.compare.notice import real_video_notice
from lib.methods.compare.spec import ComparisonSpec, Setting, Side
from lib.methods.compare.task import (
    COMPARISONS,
    CompareResult,
    compare_numbers,
    compare_rows,
    get_comparison,
    render_compare,
    run_compare,
    summary,
    write_numbers_json,
)

__all__ = [
    "export_compare", "compare_export_parts", "real_video_notice",
    "COMPARISONS", "CompareResult", "ComparisonSpec", "Setting", "Side", "compare_numbers", "compare_rows",
           "get_comparison", "render_compare", "run_compare", "summary", "write_numbers_json"]
