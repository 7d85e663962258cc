"""Entry points behind `arkaden display` and `arkaden reception` (called lazily from arkaden_cli)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from device_link.broker_auth import settings_or_exit
from queue_rules.site import Site
from ui_common import app_options

if TYPE_CHECKING:  # the settings' modules are imported by the commands (reception_app loads the device link)
    from .wall_app import DisplaySettings

log = logging.getLogger("arkaden.display")


def _languages(text: str | None, site: Site) -> list[str]:
    """--announce: the languages every call is said in after the gong; not given: German (the kiosk tells a client
    who asks to hear his own language that calls are always said in German); "none": the gong alone."""
    from .sound import ESPEAK_VOICES

    if text is None:
        return ["de"]
    langs = [x.strip() for x in text.split(",") if x.strip() and x.strip() != "none"]
    for lang in langs:
        if lang not in ESPEAK_VOICES:
            raise SystemExit(f"arkaden display: --announce {lang}: espeak-ng has no voice for it "
                             f"(possible: {', '.join(ESPEAK_VOICES)})")
    return langs


class SetupError(Exception):
    """What is wrong with the command line or the site file, in one line."""


def display_settings(args: argparse.Namespace, site: Site) -> DisplaySettings:
    """The wall display's settings from `arkaden display`'s options; SetupError saying what is wrong."""
    from .wall_app import DisplaySettings

    broker = settings_or_exit(args)
    args.display = args.display or broker.device_id
    known = [d.id for d in site.displays]
    if args.display not in known:
        raise SetupError(f"no display {args.display!r} in {args.site} (known: {', '.join(known) or 'none'})")
    if args.tour and app_options.window_geometry(args) is not None:
        raise SetupError("--tour renders the board at full size: leave out --window")
    configured = next(d for d in site.displays if d.id == args.display).orientation
    return DisplaySettings(
        site=site, display_id=args.display, host=broker.host, port=broker.port, auth=broker.auth,
        orientation=args.orientation or configured, fullscreen=not (args.windowed or args.tour),
        highlight_seconds=args.highlight_seconds, hint_seconds=args.hint_seconds,
        sound="off" if args.tour else args.sound, announce=_languages(args.announce, site),
        probe=Path(args.probe) if args.probe else None, clock=app_options.clock(args),
        window=app_options.window_geometry(args), snapshots=app_options.snapshot_settings(args))


def run_display(args: argparse.Namespace, site: Site) -> int:
    from .wall_app import make_app, prepare_kivy

    try:
        settings = display_settings(args, site)
    except SetupError as exc:
        print(f"arkaden display: {exc}", file=sys.stderr)
        return 2
    prepare_kivy(settings, debug=args.debug)
    app = make_app(settings, connect=not args.tour)
    if args.tour:
        from .tour import render

        made = render(app, Path(args.tour), settings.orientation)
        print("\n".join(str(m) for m in made))
        return 0
    stop_on_signals(app)
    app.run()
    return 0


def stop_on_signals(app: Any) -> None:
    """SIGTERM (systemd) and SIGINT stop the app cleanly: presence goes offline, the sound worker ends."""
    def stop(*_: object) -> None:
        from kivy.clock import Clock

        Clock.schedule_once(lambda _dt: app.stop(), 0)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
