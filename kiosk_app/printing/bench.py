"""Printing figures for `arkaden bench`: slip render time and submit-to-first-byte over tcp:// to a local listener."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from queue_core.site import load_site

from .escpos_printer import job_bytes
from .factory import open_printer
from .port import PrintOutcome
from .sample import sample_slip
from .simulator import TcpPrinterSimulator
from .slip import render_slip

SITE = Path(__file__).resolve().parents[2] / "sites" / "kia-aachen-arkaden.toml"
LANGS = ("de", "ar", "fa", "ps", "uk", "ti")


def _stats(samples: list[float]) -> dict[str, float]:
    s = sorted(samples)

    def rank(q: float) -> float:
        return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]

    return {"p50": round(rank(0.5), 3), "p99": round(rank(0.99), 3), "n": len(s)}


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
                printer.submit(slip, lambda o, d=done, out=outcome: (out.append(o), d.set()))
                if not done.wait(30) or not outcome[0].printed:
                    raise RuntimeError(f"bench print failed: {outcome[0].reason if outcome else 'no answer'}")
                sim.printer.wait_for(lambda p, k=i: len(p.job_started_at) > k, timeout=10)
                first_byte.append((sim.printer.job_started_at[i] - t0) * 1000)
        finally:
            printer.stop()
    return {"slip_render_ms": _stats(render), "slip_first_byte_ms": _stats(first_byte)}
