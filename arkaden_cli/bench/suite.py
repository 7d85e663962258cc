"""`arkaden bench`: the core's figures, then the slip printer's, the wall display's, the kiosk's and the report's."""

from __future__ import annotations

import os
import platform

from . import core, display, kiosk, printing, report


def journey_figures(quick: bool) -> dict[str, float]:
    """What a journey is worth on a busy simulated day at the real site (arkaden_cli.day_sim)."""
    import logging

    from host_support.site_file import load_site

    from ..common import SOURCE_ROOT
    from ..day_sim import journey_figures as figures

    logging.getLogger("arkaden.core").setLevel(logging.ERROR)
    site = load_site(SOURCE_ROOT / "sites" / "kia-aachen-arkaden.toml")
    return figures(site, seeds=(1,) if quick else (1, 2, 3))


def run(quick: bool = False) -> dict[str, object]:
    """Every figure of the benchmark; each part starts and stops what it needs (broker, core, Xvfb, apps)."""
    core_figures = core.measure(quick=quick)
    # the apps' figures: each runs a real app process under its own Xvfb (Kivy only in the children)
    display_figures = display.run(quick=quick)
    kiosk_figures = kiosk.measure(quick=quick)
    return {
        **journey_figures(quick),
        **display_figures,
        **kiosk_figures,
        **core_figures,
        **printing.run(quick=quick),
        **report.run(quick=quick),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "targets": {**core.TARGETS, **display.TARGETS, **kiosk.TARGETS},
        "quick": quick,
    }
