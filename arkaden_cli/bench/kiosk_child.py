"""The kiosk benchmark's child process: the real kiosk app, driven through its flow against the bench's core.

Run by ``bench/kiosk.py`` as ``python -m arkaden_cli.bench.kiosk_child CONFIG``; it writes the confirm times and
its memory to the file the config names.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return -1.0


def child(config: Path) -> None:
    """The kiosk app with a real link to the bench's core; check-ins through the flow, screens drawn."""
    cfg = json.loads(config.read_text())
    import argparse

    from kiosk_app.main import add_arguments, build_parts, prepare, settings_from

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--site", cfg["site"], "--kiosk", "kiosk-1", "--port", str(cfg["port"]),
                              "--data-dir", cfg["data_dir"], "--windowed", "--input", "mouse", "--fake-printer"])
    settings = settings_from(args)
    prepare(settings, name="kiosk-bench")
    from kiosk_app.app import KioskApp
    from kiosk_app.printing.factory import open_printer
    from serial_devices.scanner import FakeScannerSource
    from ui_common import drive

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
    child(Path(sys.argv[1]))
