"""Bar charts of the report: visits per day in one small panel per agency, waits per agency, pairs of counts.

Suppressed cells get no bar: a marker or their mark ("< 5", "•", "n < 5") stands in their place.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .cells import PROTECTED, SMALL, Cell
from .charts_base import BAR, DARK, EDGE, HATCH_SECOND, LIGHT, figure, value_text, wrap


def _day_ticks(days: Sequence[date]) -> tuple[list[int], list[str]]:
    if len(days) <= 31:
        picked = [i for i, d in enumerate(days) if d.weekday() == 0] or [0]
        return picked, [f"{days[i].day}.{days[i].month}." for i in picked]
    picked = [i for i, d in enumerate(days) if d.day == 1] or [0]
    if len(picked) > 12:
        picked = picked[:: math.ceil(len(picked) / 12)]
    return picked, [f"{days[i].month}/{days[i].year % 100:02d}" for i in picked]


def _panel(ax: Axes, label: str, cells: Sequence[Cell], days: Sequence[date]) -> None:
    xs = range(len(days))
    ticks = [t for t in MaxNLocator(nbins=3, integer=True).tick_values(0, max([c.value or 0 for c in cells] + [5]))
             if t >= 0]
    top = float(ticks[-1])
    for i, d in enumerate(days):
        if d.weekday() >= 5:
            ax.axvspan(i - 0.5, i + 0.5, color="0.93", linewidth=0)
    ax.bar([x for x, c in zip(xs, cells, strict=True) if c.value], [c.value or 0 for c in cells if c.value],
           width=0.8, color=BAR, linewidth=0)
    for text, marker in ((SMALL, "x"), (PROTECTED, "o")):
        where = [x for x, c in zip(xs, cells, strict=True) if c.text == text]
        if where:
            ax.plot(where, [-0.09 * top] * len(where), linestyle="none", marker=marker, markersize=3.5,
                    markeredgecolor=DARK, markerfacecolor="white" if marker == "o" else DARK, clip_on=False)
    ax.axhline(0, color="0.3", linewidth=0.6)
    ax.set_ylim(-0.16 * top, top * 1.02)
    ax.set_xlim(-0.6, len(days) - 0.4)
    ax.set_yticks(ticks)
    where_ticks, labels = _day_ticks(days)
    ax.set_xticks(where_ticks, labels)
    ax.set_title(wrap(label, 32), loc="left")


def daily_panels(path: Path, *, panels: Sequence[tuple[str, Sequence[Cell]]], days: Sequence[date]) -> None:
    """One small bar chart per agency, each with its own scale; weekends shaded."""
    cols = 2 if len(panels) <= 4 else 3
    rows = max(1, math.ceil(len(panels) / cols))
    with figure(1.55 * rows + 0.6, path) as fig:
        if not panels:
            fig.text(0.5, 0.5, "Keine Besuche im Zeitraum", ha="center", va="center")
            return
        axes = fig.subplots(rows, cols, squeeze=False)
        for i, ax in enumerate(axes.flat):
            if i < len(panels):
                _panel(ax, panels[i][0], panels[i][1], days)
            else:
                ax.set_visible(False)
        fig.supylabel("Besuche je Tag", fontsize=8)
        handles = [Patch(color=BAR, label="Besuche"),
                   Line2D([], [], linestyle="none", marker="x", color=DARK, label="1 bis 4 (< 5)"),
                   Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor=DARK,
                          label="zum Schutz gesperrt (•)"),
                   Patch(color="0.93", label="Wochenende")]
        fig.legend(handles=handles, loc="outside lower center", ncols=4, frameon=False)


def wait_bars(path: Path, *, rows: Sequence[tuple[str, Cell, Cell]], target: int) -> None:
    """Median (dark, narrow) over the 90th percentile (light, hatched) per agency; the target as a dashed line."""
    with figure(0.36 * len(rows) + 1.1, path) as fig:
        ax = fig.subplots()
        ys = list(range(len(rows)))[::-1]
        right = max([c.value or 0 for _, m, p in rows for c in (m, p)] + [target]) * 1.18
        for y, (_, med, p90) in zip(ys, rows, strict=True):
            if med.value is None:
                ax.text(0.5, y, med.text + " Wartende" if med.text.startswith("n") else med.text, va="center",
                        fontsize=8)
                continue
            if p90.value is not None:
                ax.barh(y, p90.value, height=0.62, color=LIGHT, hatch=HATCH_SECOND, edgecolor=EDGE, linewidth=0.5)
            ax.barh(y, med.value, height=0.3, color=DARK)
            end = max(med.value, p90.value or 0)
            ax.text(end + right * 0.01, y, f"{value_text(med)} / {value_text(p90)}", va="center", fontsize=8,
                    zorder=5, bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"})
        ax.axvline(target, color="0", linestyle="--", linewidth=1)
        ax.text(target, len(rows) - 0.35, f" Ziel {target} Min.", fontsize=8, va="bottom")
        ax.set_yticks(ys, [wrap(r[0], 24) for r in rows])
        ax.set_ylim(-0.7, len(rows) - 0.1)
        ax.set_xlim(0, right)
        ax.set_xlabel("Minuten (Beschriftung: Median / 90. Perzentil)")
        ax.legend(handles=[Patch(color=DARK, label="Median"),
                           Patch(facecolor=LIGHT, hatch=HATCH_SECOND, edgecolor=EDGE, label="90. Perzentil"),
                           Line2D([], [], color="0", linestyle="--", label="Ziel")],
                  loc="lower right", frameon=True, framealpha=1)


def paired_bars(path: Path, *, rows: Sequence[tuple[str, Cell, Cell]], first: str, second: str, axis: str) -> None:
    """Two horizontal bars per row: the first grey, the second white with hatching; a mark instead of a bar for
    a suppressed value, nothing for an empty one."""
    with figure(0.42 * max(len(rows), 1) + 1.0, path) as fig:
        ax = fig.subplots()
        ys = list(range(len(rows)))[::-1]
        right = max([c.value or 0 for _, a, b in rows for c in (a, b)] + [1]) * 1.15
        for y, (_, a, b) in zip(ys, rows, strict=True):
            for offset, cell, style in ((0.19, a, {"color": BAR}),
                                        (-0.19, b, {"facecolor": "white", "hatch": HATCH_SECOND, "edgecolor": DARK,
                                                    "linewidth": 0.6})):
                if cell.suppressed:
                    ax.text(right * 0.005, y + offset, cell.text, va="center", fontsize=7.5)
                elif cell.value is not None:
                    ax.barh(y + offset, cell.value, height=0.36, **style)
                    ax.text(cell.value + right * 0.01, y + offset, value_text(cell), va="center", fontsize=7.5)
        ax.set_yticks(ys, [wrap(r[0], 24) for r in rows])
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.set_xlim(0, right)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(axis)
        ax.legend(handles=[Patch(color=BAR, label=first),
                           Patch(facecolor="white", hatch=HATCH_SECOND, edgecolor=DARK, label=second)],
                  loc="lower right", frameon=True, framealpha=1)
