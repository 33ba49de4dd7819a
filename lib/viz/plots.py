"""The plotly defaults every tab's figures share, so that they look alike in the app and in notebooks."""
from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

PLOT_MARGIN: dict[str, int] = {"l": 40, "r": 20, "t": 40, "b": 40}


def apply_plot_defaults(fig: go.Figure, *, height: int, **layout: Any) -> go.Figure:
    """White template, compact margins and `height` px (anything in `layout` wins); returns `fig`."""
    fig.update_layout(**({"template": "plotly_white", "margin": dict(PLOT_MARGIN), "height": height} | layout))
    return fig
