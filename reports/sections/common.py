"""What the sections share: numbers as words in a sentence (suppressed ones said so, or left out), German lists."""

from __future__ import annotations

from collections.abc import Sequence

from ..cells import FEW, SMALL, Cell


def spoken(cell: Cell) -> str | None:
    """A cell as it may appear in a sentence: its number, "weniger als 5", or None (say nothing about it)."""
    if cell.text == SMALL:
        return "weniger als 5"
    if cell.suppressed or cell.value is None:
        return None
    return cell.text


def spoken_pct(cell: Cell) -> str | None:
    if cell.suppressed or cell.value is None:
        return None
    return f"{cell.text} %"


def join_de(items: Sequence[str]) -> str:
    """A, B und C."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " und " + items[-1]


def leaders(items: Sequence[tuple[str, Cell]], k: int = 3) -> tuple[list[tuple[str, Cell]], bool]:
    """The k largest shown counts (ties in the given order), and whether they are surely the largest: no
    suppressed cell could be larger, as far as the shown numbers tell."""
    shown = [(label, c) for label, c in items if c.value is not None and not c.suppressed and c.value > 0]
    top = sorted(shown, key=lambda lc: -(lc[1].value or 0))[:k]
    least = min((c.value or 0 for _, c in top), default=0)
    certain = all(not c.suppressed or (c.text != FEW and c.upper is not None and c.upper < least)
                  for _, c in items)
    return top, certain


def listing(top: Sequence[tuple[str, Cell]], unit: str = "") -> str:
    """"Jobcenter (120), Ausländeramt (80)" for a sentence."""
    return join_de([f"{label} ({c.text}{unit})" for label, c in top])
