"""Kiosk figures for `arkaden bench`: confirm tap → slip at the printer (p50/p99), and memory after many check-ins.

`measure()` runs in the bench process: it starts Xvfb when there is no display, a private Mosquitto and a core
process, then the real kiosk app as a child process (`python -m kiosk_app.bench --child CONFIG`), which checks
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
import time
from pathlib import Path
from typing import Any

from ui_common.xvfb import Xvfb

TARGETS = {"kiosk_print_ms_p99": 250, "kiosk_rss_mb": 200}
REPO = Path(__file__).resolve().parents[1]


def measure(quick: bool = False) -> dict[str, Any]:
    """Start what is needed, run the kiosk child, stop everything; the kiosk's figures."""
    from queue_core import bench as core_bench
    from queue_core.broker import MosquittoBroker, stop_process

    from .printing.simulator import TcpPrinterSimulator

    checkins = 60 if quick else 500
    xvfb = None
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
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
            core = core_bench._start_core(work, broker.port)
            cfg = {"site": str(work / "bench-site.toml"), "port": broker.port, "checkins": checkins,
                   "data_dir": str(work / "kiosk"), "printer_url": printer.url, "out": str(work / "kiosk.json")}
            (work / "kiosk-bench.json").write_text(json.dumps(cfg))
            with (work / "kiosk.log").open("wb") as log:
                child = subprocess.run([sys.executable, "-m", "kiosk_app.bench", "--child",
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
    return {"kiosk_print_ms": core_bench._stats(print_ms),
            "kiosk_rss_mb": out["rss_mb"], "kiosk_checkins": out["checkins"], "kiosk_offline": out["offline"]}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return -1.0


def child(config: Path) -> None:
    """The kiosk app with a real link to the bench's core; check-ins through the flow, screens drawn."""
    cfg = json.loads(config.read_text())
    import argparse

    from .main import add_arguments, build_parts, prepare, settings_from

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--site", cfg["site"], "--kiosk", "kiosk-1", "--port", str(cfg["port"]),
                              "--data-dir", cfg["data_dir"], "--windowed", "--input", "mouse", "--fake-printer"])
    settings = settings_from(args)
    prepare(settings, name="kiosk-bench")
    from hardware.scanner import FakeScannerSource
    from ui_common import drive

    from .app import KioskApp
    from .printing.factory import open_printer

    printer = open_printer(cfg["printer_url"], 576)
    parts = build_parts(settings, printer=printer, scanner=FakeScannerSource())
    confirmed_at: list[float] = []
    app = KioskApp(parts)
    concerns = [c.id for c in settings.site.concerns]
    offline = [0]

    async def script(app: Any) -> None:
        flow = app.flow
        await drive.wait_until(lambda: parts.backend.link.connected.is_set(), timeout=20, what="the broker")
        for i in range(cfg["checkins"]):
            flow.reset()
            flow.choose_language("de")
            flow.walk_in()
            flow.choose_concern(concerns[i % len(concerns)])
            flow.set_party(1 + i % 3)
            flow.to_confirm()
            await drive.frames(1)
            confirmed_at.append(time.perf_counter())
            flow.confirm()
            await drive.wait_until(lambda: flow.step in ("done", "on_screen", "message"), timeout=10,
                                   what=f"check-in {i}")
            if flow.step != "done":
                raise RuntimeError(f"check-in {i} ended on {flow.step!r}, not with a printed slip")
            offline[0] += bool(flow.ticket and flow.ticket.offline)
            await drive.frames(1)
        flow.reset()
        await drive.frames(2)

    drive.run_driven(app, script)
    Path(cfg["out"]).write_text(json.dumps({"confirmed_at": confirmed_at, "rss_mb": _rss_mb(),
                                            "checkins": len(confirmed_at),
                                            "offline": offline[0]}))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]))
    else:
        print(json.dumps(measure(quick="--quick" in sys.argv)))
