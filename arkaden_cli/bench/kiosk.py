"""Kiosk figures for `arkaden bench`: confirm tap → slip at the printer (p50/p99), and memory after many check-ins.

`measure()` runs in the bench process: it starts Xvfb when there is no display, a private Mosquitto and a core
process, then the real kiosk app as a child process (`python -m arkaden_cli.bench.kiosk_child CONFIG`), which checks
in clients through the flow the screens use, with every screen drawn, against that core.

The printer is the real ``EscposTicketPrinter`` on ``tcp://`` to a simulated LAN printer (a TCP listener in the
bench process that answers DLE EOT like a real one). ``kiosk_print_ms`` runs from the confirm tap
(``KioskFlow.confirm``, perf_counter in the kiosk process) to the arrival of the job's first byte (ESC @) at the
listener (perf_counter, the same system-wide monotonic clock), so it includes the check-in round trip to the
core, rendering the slip, the status queries and the TCP send.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from arkaden_cli.common import child_env
from arkaden_cli.dev_broker import MosquittoBroker, stop_process
from arkaden_cli.xvfb import Xvfb
from kiosk_app.printing.simulator import TcpPrinterSimulator

from .common import start_core, stats

TARGETS = {"kiosk_print_ms_p99": 250, "kiosk_rss_mb": 200}


def measure(quick: bool = False) -> dict[str, Any]:
    """Start what is needed, run the kiosk child, stop everything; the kiosk's figures."""
    checkins = 60 if quick else 500
    xvfb = None
    env = child_env()
    with tempfile.TemporaryDirectory(prefix="arkaden-kiosk-bench-") as tmp:
        work = Path(tmp)
        broker = MosquittoBroker(work / "broker")
        core = None
        printer = TcpPrinterSimulator().start()
        try:
            if not env.get("DISPLAY"):
                xvfb = Xvfb()
                env["DISPLAY"] = xvfb.display
            env.update(XDG_CACHE_HOME=str(work / "cache"), SDL_AUDIODRIVER="dummy", LIBGL_ALWAYS_SOFTWARE="1")
            fonts = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "arkaden" / "fonts"
            if fonts.is_dir():  # reuse the merged fonts instead of building them again
                shutil.copytree(fonts, work / "cache" / "arkaden" / "fonts")
            broker.start()
            core = start_core(work, broker.port)
            cfg = {"site": str(work / "bench-site.toml"), "port": broker.port, "checkins": checkins,
                   "data_dir": str(work / "kiosk"), "printer_url": printer.url, "out": str(work / "kiosk.json")}
            (work / "kiosk-bench.json").write_text(json.dumps(cfg))
            with (work / "kiosk.log").open("wb") as log:
                child = subprocess.run([sys.executable, "-m", "arkaden_cli.bench.kiosk_child",
                                        str(work / "kiosk-bench.json")], env=env, stdout=log, stderr=log,
                                       timeout=120 + checkins, cwd=work, check=False)
            if child.returncode != 0:
                tail = (work / "kiosk.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the kiosk benchmark failed ({child.returncode}):\n{tail}")
            out = json.loads((work / "kiosk.json").read_text())
            started = list(printer.printer.job_started_at)
            if len(started) != len(out["confirmed_at"]):
                raise RuntimeError(f"{len(out['confirmed_at'])} check-ins confirmed but {len(started)} slips "
                                   "reached the printer")
            print_ms = [(s - c) * 1000 for c, s in zip(out["confirmed_at"], started, strict=True)]
        finally:
            printer.stop()
            if core is not None:
                stop_process(core)
            broker.stop()
            if xvfb is not None:
                xvfb.stop()
    return {"kiosk_print_ms": stats(print_ms),
            "kiosk_rss_mb": out["rss_mb"], "kiosk_checkins": out["checkins"], "kiosk_offline": out["offline"]}
