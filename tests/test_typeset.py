"""The merged fonts are built safely by apps that start side by side (CI once lost a wall display to this race)."""

from __future__ import annotations

import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from fontTools.ttLib import TTFont

from ui_common import typeset

APPS = 4


def _build(cache: str, start: Barrier, results: multiprocessing.Queue[str]) -> None:
    start.wait(timeout=60)          # every "app" begins its build at the same moment
    try:
        results.put(str(typeset.font_files("Arab", Path(cache)).bold))
    except Exception as exc:        # the parent reports what went wrong
        results.put(f"failed: {exc!r}")


def test_apps_building_the_same_fonts_at_once_all_get_a_whole_font_and_leave_no_parts(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(APPS), ctx.Queue()
    apps = [ctx.Process(target=_build, args=(str(tmp_path), start, results)) for _ in range(APPS)]
    for app in apps:
        app.start()
    built = [results.get(timeout=120) for _ in apps]
    for app in apps:
        app.join(timeout=30)
    assert len(set(built)) == 1, built
    cmap = TTFont(built[0]).getBestCmap()
    assert ord("J") in cmap and 0x0627 in cmap      # Latin merged into Arabic
    assert sorted(p.name for p in tmp_path.iterdir()) == ["NotoSansArabic-Bold+Latin.ttf",
                                                          "NotoSansArabic-Regular+Latin.ttf"]
