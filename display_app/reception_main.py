"""`arkaden reception`: its options (--language, --tour beside the shared ones), settings and run (no Kivy here).

`arkaden_cli` builds the command's parser; `python -m display_app.reception_main --site FILE ...` is the same
command without the rest of the `arkaden` tool (the tests run the tour so).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from device_link import broker_auth
from device_link.broker_auth import settings_or_exit
from queue_rules.site import Site
from ui_common import app_options

from .reception_texts import LANGUAGES

if TYPE_CHECKING:  # reception_app loads the device link and Kivy's settings: only when the command runs
    from .reception_app import ReceptionSettings


class SetupError(Exception):
    """What is wrong with the command line or the site file, in one line."""


def add_language_and_tour(p: argparse.ArgumentParser) -> None:
    """The options reception has beyond the Kivy apps' shared ones."""
    p.add_argument("--language", choices=LANGUAGES, default="de",
                   help="the monitor's language (display_app/locale/<lang>/LC_MESSAGES/reception.po; default de)")
    p.add_argument("--tour", default=None, metavar="DIR",
                   help="render reception on a busy morning to PNG in DIR, in every language (de, en), and exit")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Every option of `arkaden reception` except --site and the broker's."""
    p.add_argument("--desk", default=None, help="the reception desk's id (default: the first in the site file)")
    p.add_argument("--operator", default=None, help="who acts, recorded in the event log (default: the desk id)")
    p.add_argument("--windowed", action="store_true", help="a window instead of fullscreen (development)")
    p.add_argument("--debug", action="store_true", help="Kivy's log on the console")
    add_language_and_tour(p)
    app_options.add_arguments(p)  # --window, --snapshot-dir, --snapshot-seconds, --sim-clock


def reception_settings(args: argparse.Namespace, site: Site) -> ReceptionSettings:
    """The reception monitor's settings from `arkaden reception`'s options; SetupError saying what is wrong."""
    from .reception_app import ReceptionSettings

    tour = getattr(args, "tour", None)
    broker = settings_or_exit(args)
    desks = [d.id for d in site.reception]
    desk = args.desk or broker.device_id or (desks[0] if desks else None)
    if desk is None or desk not in desks:
        raise SetupError(f"no reception desk {desk!r} in {args.site} (known: {', '.join(desks) or 'none'})")
    if tour and app_options.window_geometry(args) is not None:
        raise SetupError("--tour renders the monitor at full size: leave out --window")
    return ReceptionSettings(site=site, desk=desk, operator=args.operator or desk, host=broker.host,
                             port=broker.port, auth=broker.auth, fullscreen=not (args.windowed or tour),
                             clock=app_options.clock(args), window=app_options.window_geometry(args),
                             snapshots=app_options.snapshot_settings(args),
                             language=getattr(args, "language", "de"))


def run_reception(args: argparse.Namespace, site: Site) -> int:
    from .reception_app import make_app, prepare_kivy

    try:
        settings = reception_settings(args, site)
    except SetupError as exc:
        print(f"arkaden reception: {exc}", file=sys.stderr)
        return 2
    tour = getattr(args, "tour", None)
    prepare_kivy(settings, debug=args.debug)
    app = make_app(settings, connect=not tour)
    if tour:
        from .reception_tour import render

        made = render(app, Path(tour))
        print("\n".join(str(m) for m in made))
        return 0
    from .main import stop_on_signals

    stop_on_signals(app)
    app.run()
    return 0


def main(argv: list[str] | None = None) -> int:
    from host_support.site_file import load_site

    p = argparse.ArgumentParser(prog="python -m display_app.reception_main", description=__doc__)
    p.add_argument("--site", required=True)
    add_arguments(p)
    broker_auth.add_arguments(p)
    args = p.parse_args(argv)
    return run_reception(args, load_site(args.site))


if __name__ == "__main__":
    raise SystemExit(main())
