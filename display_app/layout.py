"""Sizes of the wall display per orientation (plain data, so a test can check readability without a window).

Reading distances in the Aachen-Arkaden: the called number from 8 m (digits >= 150 px high), room and counter
from 8 m too (>= 70 px fonts), the recent calls, where someone who missed his call looks, from 5 m (>= 56 px).
A call row has two tiers: the number with the room beside it, then the counter label (up to 16 characters at
its full size) and the agency across the row's whole width.

The waiting list ("Wartende") keeps its text at 40-44 px (row text read from the seats) whatever the number of
agencies: each agency is a two-line row (name and how many wait, then the wait in the rotating language), and
when not all rows fit the panel they show in pages of equal size that turn every few seconds ("1/3"). Pages
rather than a second column: a name and a wait at 40 px need the whole width of the landscape side panel.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Orientation = Literal["landscape", "portrait"]


@dataclass(frozen=True)
class WallLayout:
    width: int
    height: int
    current_slots: int
    recent_slots: int
    recent_cols: int
    later_slots: int
    number_size: int    # font size (px) of a called number: digits about 0.71 of it high
    number_width: int   # the column the number sits in
    room_size: int      # the room number beside it (bold)
    counter_size: int   # the counter label under it
    agency_size: int    # the agency beside the counter label: the largest size; smaller when a long name needs it
    recent_size: int    # number and room of a recent call (and of a "later" one)
    calls_width: int    # landscape: the calls column's width; portrait: the calls span the screen
    row_tier: int       # height of the number tier of a call row; the counter tier is counter_tier
    counter_tier: int
    heading_size: int   # the German line of a heading (bold)
    second_size: int    # the largest size of its second line (the rotating language; smaller when it needs it)
    heading_height: int  # German line + second line
    hint_height: int
    hint_size: int
    queue_size: int = 44     # the waiting list's text when that still needs no more pages than queue_min
    queue_min: int = 40      # its floor: smaller rows turn into another page, never smaller text
    queue_one_line: bool = False   # name, count and wait on one line (wide enough: portrait), else two lines


LAYOUTS: dict[str, WallLayout] = {
    "landscape": WallLayout(1920, 1080, current_slots=3, recent_slots=6, recent_cols=2, later_slots=2,
                            number_size=212, number_width=650, room_size=84, counter_size=70, agency_size=44,
                            recent_size=56, calls_width=1146, row_tier=170, counter_tier=96, heading_size=36,
                            second_size=34, heading_height=106, hint_height=96, hint_size=48),
    "portrait": WallLayout(1080, 1920, current_slots=3, recent_slots=6, recent_cols=3, later_slots=3,
                           number_size=212, number_width=650, room_size=84, counter_size=70, agency_size=44,
                           recent_size=56, calls_width=1032, row_tier=170, counter_tier=96, heading_size=36,
                           second_size=34, heading_height=106, hint_height=140, hint_size=52, queue_one_line=True),
}


@dataclass(frozen=True)
class QueuePages:
    """How the waiting list shows: text size, rows of that size, and how many rows per page."""

    size: int
    row_height: float
    per_page: int
    pages: int

    def page(self, index: int, n: int) -> range:
        """The agencies (by position) on page ``index`` of ``n``."""
        start = (index % self.pages) * self.per_page
        return range(start, min(n, start + self.per_page))


def queue_pages(n: int, panel: float, spacing: float, row_height: Callable[[int], float], *, largest: int,
                smallest: int) -> QueuePages:
    """The fewest pages at which ``n`` rows fit ``panel`` at ``smallest`` px, at the largest size that needs no
    more; the rows then shared out evenly (12 in 3 pages: 4 + 4 + 4, not 5 + 5 + 2). ``row_height(size)`` is a
    row's height at a text size; at least one row per page, even in a panel too small for it."""
    def pages_at(size: int) -> int:
        fit = max(1, int((panel + spacing) // (row_height(size) + spacing)))
        return max(1, math.ceil(n / fit))

    fewest = pages_at(smallest)
    size = next(s for s in range(largest, smallest - 1, -1) if pages_at(s) <= fewest)
    return QueuePages(size, row_height(size), math.ceil(n / fewest) if n else 0, fewest)
