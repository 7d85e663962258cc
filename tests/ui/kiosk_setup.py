"""The real kiosk app with a fake printer and scanner, built from a driver's JSON config (for tests/ui drivers)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any


@dataclass
class DrivenKiosk:
    settings: Any
    parts: Any
    printer: Any   # FakeTicketPrinter
    scanner: Any   # FakeScannerSource
    app: Any       # KioskApp


def driven_kiosk(cfg: dict[str, Any], *, name: str, inactivity: float) -> DrivenKiosk:
    """Parse the kiosk's own options from the config, prepare Kivy, and build the app (not yet running)."""
    from kiosk_app.main import add_arguments, build_parts, prepare, settings_from

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--site", cfg["site"], "--kiosk", cfg["kiosk"], "--host", cfg["host"], "--port",
                              str(cfg["port"]), "--data-dir", cfg["data_dir"], "--windowed", "--input", "mouse",
                              "--fake-printer", "--inactivity", str(inactivity)])
    settings = settings_from(args)
    prepare(settings, name=name)

    from kiosk_app.app import KioskApp
    from kiosk_app.printing.fake import FakeTicketPrinter
    from serial_devices.scanner import FakeScannerSource

    printer, scanner = FakeTicketPrinter(), FakeScannerSource()
    player = None
    if cfg.get("recordings"):   # read-aloud: the WAVs espeak-ng wrote, kept; each "plays" for play_seconds
        from pathlib import Path

        from ui_common.speech import RecordingPlayer

        player = RecordingPlayer(Path(cfg["recordings"]), seconds=float(cfg.get("play_seconds", 5)))
    parts = build_parts(settings, printer=printer, scanner=scanner, player=player)
    return DrivenKiosk(settings, parts, printer, scanner, KioskApp(parts))
