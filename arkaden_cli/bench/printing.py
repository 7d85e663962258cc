"""Printing figures for `arkaden bench`: slip render time and submit-to-first-byte over tcp:// to a local listener."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from arkaden_cli.common import SOURCE_ROOT
from host_support.site_file import load_site
from kiosk_app.printing.escpos_printer import job_bytes
from kiosk_app.printing.factory import open_printer
from kiosk_app.printing.port import PrintOutcome
from kiosk_app.printing.sample import sample_slip
from kiosk_app.printing.simulated_printer import SimulatedPrinter
from kiosk_app.printing.simulator import TcpPrinterSimulator
from kiosk_app.printing.slip import render_slip

from .common import stats

SITE = SOURCE_ROOT / "sites" / "kia-aachen-arkaden.toml"  # the real site: its slips, in six scripts
LANGS = ("de", "ar", "fa", "ps", "uk", "ti")


def _collect(outcomes: list[PrintOutcome], done: threading.Event) -> Callable[[PrintOutcome], None]:
    def on_done(outcome: PrintOutcome) -> None:
        outcomes.append(outcome)
        done.set()
    return on_done


def _jobs_started(n: int) -> Callable[[SimulatedPrinter], bool]:
    return lambda printer: len(printer.job_started_at) >= n


def run(quick: bool = False) -> dict[str, object]:
    """``slip_render_ms``: render + ESC/POS bytes of a 576-dot slip (fonts warm, six languages);
    ``slip_first_byte_ms``: ``submit()`` until the job's first byte reaches a local TCP printer."""
    site = load_site(SITE)
    n = 24 if quick else 120
    render_slip(sample_slip(site, "ar"), 576)   # load fonts and catalogues once, as a running kiosk has
    render = []
    for i in range(n):
        slip = sample_slip(site, LANGS[i % len(LANGS)], seq=i + 1)
        t0 = time.perf_counter()
        job_bytes(render_slip(slip, 576))
        render.append((time.perf_counter() - t0) * 1000)
    first_byte = []
    with TcpPrinterSimulator() as sim:
        printer = open_printer(sim.url, 576)
        printer.start()
        try:
            for i in range(n // 2):
                done = threading.Event()
                outcome: list[PrintOutcome] = []
                slip = sample_slip(site, LANGS[i % len(LANGS)], seq=500 + i)
                t0 = time.perf_counter()
                printer.submit(slip, _collect(outcome, done))
                if not done.wait(30) or not outcome[0].printed:
                    raise RuntimeError(f"bench print failed: {outcome[0].reason if outcome else 'no answer'}")
                sim.printer.wait_for(_jobs_started(i + 1), timeout=10)
                first_byte.append((sim.printer.job_started_at[i] - t0) * 1000)
        finally:
            printer.stop()
    return {"slip_render_ms": stats(render), "slip_first_byte_ms": stats(first_byte)}
