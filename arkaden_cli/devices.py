"""`arkaden buttons|display|reception|kiosk` (and `ticket`, `web`): the device apps' commands.

Each command imports its app (escpos, pyserial, Kivy) inside its function, so `arkaden core` never loads them.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from ui_common import app_options

from . import ticket_commands, web_command
from .common import broker_from, site_or_exit, with_broker

if TYPE_CHECKING:
    from queue_rules.site import Site


def cmd_buttons(args: argparse.Namespace) -> int:
    """Call-button boxes on USB serial → counter commands (hardware/buttons.py)."""
    from hardware import buttons

    site = site_or_exit(args.site)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    broker = broker_from(args)
    buttons.run(site, broker.host, broker.port, patterns=args.ports, guard_s=args.guard_seconds,
                # the ACL knows the bridge by its broker user: its presence id must be that name
                device_id=args.device_id or broker.device_id or (broker.auth.username if broker.auth else None),
                stop=stop, auth=broker.auth)
    return 0


# --- wall displays and reception (display_app; Kivy is imported only inside these commands) ----------


def cmd_display(args: argparse.Namespace) -> int:
    from display_app.main import run_display

    site = site_or_exit(args.site)
    if args.tour and args.display is None and broker_from(args).device_id is None:
        return _tour_every_display(args, site)
    return run_display(args, site)


def _tour_every_display(args: argparse.Namespace, site: Site) -> int:
    """`display --tour DIR` without --display: each of the site's displays in its own orientation and with its own
    agencies, into DIR/<display id>/ (one child each: Kivy's window size is fixed per process)."""
    rc = 0
    for display in site.displays:
        cmd = [sys.executable, "-m", "arkaden_cli", "display", "--site", args.site, "--display", display.id,
               "--tour", str(Path(args.tour) / display.id)]
        if args.orientation:
            cmd += ["--orientation", args.orientation]
        rc = rc or subprocess.run(cmd, check=False).returncode
    return rc


def cmd_reception(args: argparse.Namespace) -> int:
    from display_app.reception_main import run_reception

    return run_reception(args, site_or_exit(args.site))


def _display_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("display", help="run a wall display (Kivy), or render its screens with --tour")
    p.add_argument("--site", required=True)
    p.add_argument("--display", default=None,
                   help="the display's id in the site file (default: the device id of --broker-config)")
    p.add_argument("--orientation", choices=["landscape", "portrait"], default=None,
                   help="override the site file's orientation")
    p.add_argument("--windowed", action="store_true", help="a window instead of fullscreen (development)")
    p.add_argument("--highlight-seconds", type=float, default=10.0, help="how long a new call blinks")
    p.add_argument("--hint-seconds", type=float, default=6.0, help="how long the hint stays in one language")
    p.add_argument("--sound", choices=["auto", "off", "fake"], default="auto",
                   help="gong through sox/aplay (auto), none, or recorded only (fake, for tests)")
    p.add_argument("--announce", default=None, help=(
        "languages every call is said in after the gong (espeak-ng; default de, 'none': the gong alone); a client "
        "who chose it at the kiosk hears his own language after them"))
    p.add_argument("--tour", default=None, metavar="DIR", help="render a busy board to PNG in DIR and exit")
    p.add_argument("--probe", default=None, help=argparse.SUPPRESS)  # state file for tests and the benchmark
    p.add_argument("--debug", action="store_true", help="Kivy's log on the console")
    app_options.add_arguments(p)  # --window, --snapshot-dir, --snapshot-seconds, --sim-clock
    with_broker(p)
    p.set_defaults(func=cmd_display)

    from display_app import reception_main  # argparse only, no Kivy

    p = sub.add_parser("reception", help="run the reception monitor (Kivy), or render it with --tour")
    p.add_argument("--site", required=True)
    reception_main.add_arguments(p)  # --desk --operator --windowed --debug --language --tour and the apps' options
    with_broker(p)
    p.set_defaults(func=cmd_reception)


def cmd_kiosk(args: argparse.Namespace) -> int:
    from kiosk_app.main import (
        main as kiosk_main,  # Kivy and the kiosk's extras only for this command
    )

    return kiosk_main(args.kiosk_args)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ticket_commands.add_parsers(sub)

    p = sub.add_parser("buttons", help="bridge call-button boxes on USB serial to their counters")
    p.add_argument("--site", required=True)
    p.add_argument("--ports", action="append", default=None, metavar="GLOB",
                   help="where to look for boxes besides the ports in the site file (repeatable; "
                        "default /dev/arkaden-box-*)")
    p.add_argument("--guard-seconds", type=float, default=None,
                   help="a second NEXT of one box within this time is ignored (default: the site's "
                        "policy.double_press_seconds)")
    p.add_argument("--device-id", default=None, help="the bridge's presence id (default buttons-<hostname>)")
    with_broker(p)
    p.set_defaults(func=cmd_buttons)

    _display_parsers(sub)
    web_command.add_parser(sub)

    # the kiosk parses its own options (kiosk_app.main): `arkaden kiosk --help` lists them
    p = sub.add_parser("kiosk", add_help=False, help="the touchscreen check-in kiosk (--site FILE --kiosk ID)")
    p.set_defaults(func=cmd_kiosk, kiosk_args=[])
