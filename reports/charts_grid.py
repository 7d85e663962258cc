"""Grid charts of the report: a heat map of greys with the number printed in each cell (check-ins by weekday and
hour, handovers from agency to agency); suppressed cells white, hatched, with their mark."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from .cells import Cell
from .charts_base import HATCH_SUPPRESSED, figure, value_text, wrap


def heatmap(path: Path, *, rows: Sequence[str], columns: Sequence[str], cells: Sequence[Sequence[Cell]],
            row_title: str, column_title: str, scale_label: str) -> None:
    """cells[r][c]; a cell with empty text and no value stays blank (nothing to count there)."""
    long_columns = max((len(c) for c in columns), default=0) > 4
    size = 0.5 if long_columns else 0.42
    label_room = 1.9 if long_columns else 0.6
    width = min(7.5, 1.9 + size * len(columns) + 0.9)
    with figure(size * len(rows) + label_room + 0.4, path, width_in=width) as fig:
        ax = fig.subplots()
        values = np.array([[c.value if c.value is not None and not c.suppressed else np.nan for c in row]
                           for row in cells], dtype=float)
        top = float(np.nanmax(values)) if np.isfinite(values).any() and np.nanmax(values) > 0 else 1.0
        image = ax.imshow(np.ma.masked_invalid(values), cmap="Greys", vmin=0, vmax=top * 1.1, aspect="auto")
        for r, row in enumerate(cells):
            for c, cell in enumerate(row):
                _cell(ax, r, c, cell)
        ax.set_xticks(range(len(columns)), [wrap(x, 40 if long_columns else 16) for x in columns],
                      rotation=40 if long_columns else 0, ha="right" if long_columns else "center",
                      rotation_mode="anchor")
        ax.set_yticks(range(len(rows)), [wrap(x, 24) for x in rows])
        ax.set_xticks(np.arange(-0.5, len(columns)), minor=True)
        ax.set_yticks(np.arange(-0.5, len(rows)), minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        ax.tick_params(which="major", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(column_title)
        ax.set_ylabel(row_title)
        if np.isfinite(values).any() and np.nanmax(values) > 0:  # a scale only when some cell shows a count
            bar = fig.colorbar(image, ax=ax, shrink=0.8, pad=0.02, aspect=25)
            bar.ax.set_title(scale_label, fontsize=8, loc="left", pad=6)
            bar.outline.set_visible(False)


def _cell(ax: Axes, r: int, c: int, cell: Cell) -> None:
    # every mark and number black on a small white box: readable on every grey, in colour and in print
    box = {"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none"}
    if cell.suppressed:
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="white", edgecolor="0.55",
                               hatch=HATCH_SUPPRESSED, linewidth=0))
        ax.text(c, r, cell.text, ha="center", va="center", fontsize=8, fontweight="bold", bbox=box)
    elif cell.value is not None and cell.text:
        ax.text(c, r, value_text(cell), ha="center", va="center", fontsize=8,
                color="0.4" if cell.value == 0 else "black", bbox=box if cell.value else None)
