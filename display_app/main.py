"""Entry points behind `arkaden display` and `arkaden reception` (called lazily from arkaden_cli)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import Any

from device_link.broker_auth import settings_or_exit
from queue_rules.site import Site

log = logging.getLogger("arkaden.display")


def _languages(text: str, site: Site) -> list[str]:
    from .sound import ESPEAK_VOICES

    langs = [x.strip() for x in text.split(",") if x.strip()]
    for lang in langs:
        if lang not in ESPEAK_VOICES:
            raise SystemExit(f"arkaden display: --announce {lang}: espeak-ng has no voice for it "
                             f"(possible: {', '.join(ESPEAK_VOICES)})")
    return langs


def run_display(args: argparse.Namespace, site: Site) -> int:
    from .wall_app import DisplaySettings, make_app, prepare_kivy

    broker = settings_or_exit(args)
    args.display = args.display or broker.device_id
    known = [d.id for d in site.displays]
    if args.display not in known:
        print(f"arkaden display: no display {args.display!r} in {args.site} (known: {', '.join(known) or 'none'})",
              file=sys.stderr)
        return 2
    if args.tour and args.orientation is None:
        print("arkaden display --tour renders one orientation per process: give --orientation", file=sys.stderr)
        return 2
    configured = next(d for d in site.displays if d.id == args.display).orientation
    settings = DisplaySettings(
        site=site, display_id=args.display, host=broker.host, port=broker.port, auth=broker.auth,
        orientation=args.orientation or configured, fullscreen=not (args.windowed or args.tour),
        highlight_seconds=args.highlight_seconds, hint_seconds=args.hint_seconds,
        sound="off" if args.tour else args.sound, announce=_languages(args.announce, site),
        probe=Path(args.probe) if args.probe else None)
    prepare_kivy(settings, debug=args.debug)
    app = make_app(settings, connect=not args.tour)
    if args.tour:
        from .tour import render

        made = render(app, Path(args.tour), settings.orientation)
        print("\n".join(str(m) for m in made))
        return 0
    _stop_on_signals(app)
    app.run()
    return 0


def run_reception(args: argparse.Namespace, site: Site) -> int:
    from .reception_app import ReceptionSettings, make_app, prepare_kivy

    broker = settings_or_exit(args)
    desks = [d.id for d in site.reception]
    desk = args.desk or broker.device_id or (desks[0] if desks else None)
    if desk not in desks:
        print(f"arkaden reception: no reception desk {desk!r} in {args.site} (known: {', '.join(desks) or 'none'})",
              file=sys.stderr)
        return 2
    settings = ReceptionSettings(site=site, desk=desk, operator=args.operator or desk, host=broker.host,
                                 port=broker.port, auth=broker.auth, fullscreen=not args.windowed)
    prepare_kivy(settings, debug=args.debug)
    app = make_app(settings)
    _stop_on_signals(app)
    app.run()
    return 0


def _stop_on_signals(app: Any) -> None:
    """SIGTERM (systemd) and SIGINT stop the app cleanly: presence goes offline, the sound worker ends."""
    def stop(*_: object) -> None:
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: app.stop(), 0)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
