"""`arkaden bench`: the core's figures, then the slip printer's, the wall display's, the kiosk's and the report's."""

from __future__ import annotations

import os
import platform

from . import core, day_size, display, faults, kiosk, printing, report, web


def journey_figures(quick: bool) -> dict[str, float]:
    """What a journey is worth on a busy simulated day at the real site (arkaden_cli.day_sim)."""
    import logging

    from host_support.site_file import load_site

    from ..common import SOURCE_ROOT
    from ..day_sim import journey_figures as figures

    logging.getLogger("arkaden.core").setLevel(logging.ERROR)
    site = load_site(SOURCE_ROOT / "sites" / "kia-aachen-arkaden.toml")
    return figures(site, seeds=(1,) if quick else (1, 2, 3))


def day_size_figures(quick: bool) -> dict[str, object]:
    """checkin_ms_by_day_size on the real site (in-process, durable commits)."""
    from host_support.site_file import load_site

    from ..common import SOURCE_ROOT

    return day_size.measure(load_site(SOURCE_ROOT / "sites" / "kia-aachen-arkaden.toml"), quick=quick)


def run(quick: bool = False) -> dict[str, object]:
    """Every figure of the benchmark; each part starts and stops what it needs (broker, core, Xvfb, apps)."""
    core_figures = core.measure(quick=quick)
    by_day_size = day_size_figures(quick)
    # the apps' figures: each runs a real app process under its own Xvfb (Kivy only in the children)
    display_figures = display.run(quick=quick)
    kiosk_figures = kiosk.measure(quick=quick)
    web_figures = web.run(quick=quick)  # desk and phone pages: `arkaden web` as its own process, Chromium
    return {
        **journey_figures(quick),
        **display_figures,
        **kiosk_figures,
        **web_figures,
        **core_figures,
        **by_day_size,
        **printing.run(quick=quick),
        **report.run(quick=quick),
        **faults.run(quick=quick),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "targets": {**core.TARGETS, **display.TARGETS, **kiosk.TARGETS, **web.TARGETS,
                    "checkin_ms_by_day_size_growth_p50": day_size.GROWTH_TARGET},
        "ratio_targets": core.RATIO_TARGETS,
        "quick": quick,
    }
