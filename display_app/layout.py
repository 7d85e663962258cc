"""Sizes of the wall display per orientation (plain data, so a test can check readability without a window)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Orientation = Literal["landscape", "portrait"]


@dataclass(frozen=True)
class WallLayout:
    width: int
    height: int
    current_slots: int
    recent_slots: int
    number_size: int    # font size (px) of a called number: digits about 0.71 of it high
    number_width: int   # the column the number sits in
    detail_size: int    # room line; counter and agency lines are smaller


LAYOUTS: dict[str, WallLayout] = {
    # 8 m viewing distance: digits >= 150 px high at 1080 px screen height
    "landscape": WallLayout(1920, 1080, current_slots=4, recent_slots=6, number_size=212, number_width=650,
                            detail_size=64),
    "portrait": WallLayout(1080, 1920, current_slots=4, recent_slots=6, number_size=212, number_width=650,
                           detail_size=52),
}
