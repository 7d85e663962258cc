"""Where the demo's windows go: the screen's size (xdpyinfo, the desktop's work area) and a side-by-side layout.

Every app is drawn for its real screen (kiosk 1080×1920 or 1920×1080, wall display and reception 1920×1080)
and scaled into its window (`--window WxH+X+Y`), so a window keeps its screen's proportions. `layout` tries
a few arrangements (all in a row, the kiosk beside a column of the others, all in a column, a grid) and takes
the one that shows the windows largest (each column as tall as the screen allows, all narrowed together when
they are too wide); no two windows overlap, none leaves the screen.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from ui_common.kivy_env import Geometry

GAP = 8               # pixels between windows (and to the screen's edge)
TITLE_BAR = 32        # a window manager's decoration above each window (none under the private Xvfb)


@dataclass(frozen=True)
class Window:
    """One app's window: its name, its natural (screen) size and where it goes."""

    name: str
    width: int
    height: int
    x: int = 0
    y: int = 0

    @property
    def geometry(self) -> str:
        """The X11 geometry the apps' `--window` takes: `WxH+X+Y`, written as the apps read it."""
        return str(Geometry(self.width, self.height, self.x, self.y))

    def overlaps(self, other: Window) -> bool:
        return not (self.x + self.width <= other.x or other.x + other.width <= self.x
                    or self.y + self.height <= other.y or other.y + other.height <= self.y)


@dataclass(frozen=True)
class Area:
    """The part of the screen windows may use (the work area: without the desktop's panels)."""

    x: int
    y: int
    width: int
    height: int


def screen_area(env: dict[str, str]) -> tuple[Area, bool] | None:
    """The X screen's size (xdpyinfo), narrowed to the desktop's work area when a window manager says it
    (`_NET_WORKAREA`); and whether there is such a window manager (it puts a title bar on every window)."""
    try:
        info = subprocess.run(["xdpyinfo"], env=env, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"dimensions:\s+(\d+)x(\d+) pixels", info.stdout)
    if info.returncode != 0 or m is None:
        return None
    area = Area(0, 0, int(m.group(1)), int(m.group(2)))
    try:
        prop = subprocess.run(["xprop", "-root", "_NET_WORKAREA"], env=env, capture_output=True, text=True,
                              timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return area, True
    work = re.search(r"=\s*(\d+), (\d+), (\d+), (\d+)", prop.stdout)
    if prop.returncode == 0 and work:
        x, y, w, h = (int(g) for g in work.groups())
        if w > 0 and h > 0:
            return Area(x, y, w, h), True
    return area, False


# An arrangement: rows of columns of window indexes, e.g. ((0,), (1, 2)) = the first window, then a column of
# the other two beside it. Each entry of the outer tuple is one column from left to right.
Arrangement = tuple[tuple[int, ...], ...]


def _arrangements(n: int) -> list[Arrangement]:
    if n == 1:
        return [((0,),)]
    if n == 2:
        return [((0,), (1,)), ((0, 1),)]
    rest = tuple(range(1, n))
    return [tuple((i,) for i in range(n)),          # all in a row
            ((0,), rest),                           # the first beside a column of the rest
            (tuple(range(n)),),                     # all in one column
            ((0, 2), (1,) + tuple(range(3, n)))]    # a grid of two columns


def _place(sizes: Sequence[tuple[int, int]], arrangement: Arrangement, area: Area, title: int) -> list[Window] | None:
    """Windows in columns: each column scaled to the area's height, then all narrowed together to its width."""
    scales = []
    for col in arrangement:
        room = area.height - GAP - len(col) * (title + GAP)
        scales.append(room / sum(sizes[i][1] for i in col))
    width = GAP + sum(max(sizes[i][0] for i in col) * s + GAP for col, s in zip(arrangement, scales, strict=True))
    squeeze = min(1.0, (area.width - GAP * (len(arrangement) + 1)) / (width - GAP * (len(arrangement) + 1)))
    scales = [s * squeeze for s in scales]
    if min(scales) < 0.05:
        return None
    out: dict[int, Window] = {}
    x = area.x + GAP
    for col, scale in zip(arrangement, scales, strict=True):
        y = area.y + GAP
        col_width = 0
        for i in col:
            w, h = int(sizes[i][0] * scale), int(sizes[i][1] * scale)
            out[i] = Window("", w, h, x, y + title)
            y += title + h + GAP
            col_width = max(col_width, w)
        x += col_width + GAP
    return [out[i] for i in range(len(sizes))]


def layout(apps: Sequence[tuple[str, int, int]], area: Area, *, decorated: bool = True) -> list[Window]:
    """Windows for ``apps`` (name, natural width, height) side by side in ``area``, as large as they fit.

    ``decorated``: leave room for a title bar above each window (a real desktop; not under Xvfb).
    """
    sizes = [(w, h) for _, w, h in apps]
    title = TITLE_BAR if decorated else 0
    best: list[Window] | None = None
    for arrangement in _arrangements(len(apps)):
        placed = _place(sizes, arrangement, area, title)
        if placed and (best is None or _shown(placed) > _shown(best)):
            best = placed
    if best is None:
        raise ValueError(f"a {area.width}x{area.height} screen is too small for {len(apps)} windows")
    return [Window(name, w.width, w.height, w.x, w.y) for (name, _, _), w in zip(apps, best, strict=True)]


def _shown(windows: Sequence[Window]) -> int:
    return sum(w.width * w.height for w in windows)
