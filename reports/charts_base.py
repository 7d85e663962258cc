"""What every chart shares: an Agg figure made inside the call (no pyplot, no global backend), print-safe greys and
hatches, German labels wrapped instead of cut, and one way to save a PNG."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from .cells import Cell
from .names import fmt_int

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # matplotlib 3.8 and later

WIDTH_IN = 7.5          # the PDF's text width, so 9 pt stays 9 pt in print
DPI = 200
BAR = "0.45"            # mid grey
DARK = "0.2"
LIGHT = "0.85"
EDGE = "0.25"
HATCH_SECOND = "////"   # the second series of a pair of bars
HATCH_SUPPRESSED = "xxx"
STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",   # ships with matplotlib: umlauts, ≥, →, •
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "hatch.linewidth": 0.6,
    "axes.edgecolor": "0.3",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@contextmanager
def figure(height_in: float, path: Path, width_in: float = WIDTH_IN) -> Iterator[MplFigure]:
    """A figure drawn with the Agg canvas and saved to `path` as PNG when the block ends."""
    with rc_context(STYLE):
        fig = MplFigure(figsize=(width_in, height_in), layout="constrained")
        FigureCanvasAgg(fig)
        yield fig
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=DPI, bbox_inches="tight", pad_inches=0.08, facecolor="white")


def wrap(label: str, width: int = 18) -> str:
    """A label on several lines instead of cut off."""
    return "\n".join(textwrap.wrap(label, width=width, break_long_words=False, break_on_hyphens=True)) or label


def value_text(cell: Cell) -> str:
    if cell.value is None:
        return cell.text
    return cell.text if cell.text else fmt_int(cell.value)

