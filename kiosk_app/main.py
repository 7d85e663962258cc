"""`arkaden kiosk --site FILE --kiosk ID`: settings from the command line and the site file, parts, the app."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from device_link import broker_auth
from host_support.sim_clock import real_now
from host_support.site_file import load_site
from queue_rules.site import Kiosk, Site, SiteConfigError
from ui_common import app_options
from ui_common.kivy_env import WindowSettings
from ui_common.snapshots import SnapshotSettings

from .flow import Timeouts

log = logging.getLogger("arkaden.kiosk")


class KioskSetupError(RuntimeError):
    pass


@dataclass(frozen=True)
class KioskSettings:
    site: Site
    kiosk: Kiosk
    host: str
    port: int
    auth: Any                     # device_link.broker_auth.BrokerAuth, or None: anonymous (dev broker)
    data_dir: Path
    window: WindowSettings
    timeouts: Timeouts
    printer_url: str | None       # None: the fake printer
    printer_width: int
    scanner_path: str | None      # None: no scanner (the fake one, which never scans)
    clock: Callable[[], datetime] = real_now   # --sim-clock: what the screens show and offline tickets carry
    snapshots: SnapshotSettings | None = None  # --snapshot-dir: the screen as PNG every few seconds
    read_aloud: bool = True                    # --no-read-aloud: no speaker button (a kiosk without sound)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--site", required=True, help="the site file (TOML)")
    p.add_argument("--kiosk", default=None, help="this kiosk's id in the site file (default: the device id of "
                   "--broker-config, else the first kiosk)")
    broker_auth.add_arguments(p)  # --host, --port, --broker-config and the other login options
    p.add_argument("--data-dir", default=None, help="where the offline outbox lives (default: "
                   "$STATE_DIRECTORY/<kiosk> under systemd, else ~/.local/share/arkaden/<kiosk>)")
    p.add_argument("--inactivity", type=float, default=45, help="seconds without a touch before starting over")
    p.add_argument("--done-seconds", type=float, default=15, help="how long the ticket stays on screen")
    p.add_argument("--orientation", choices=("portrait", "landscape"), default=None,
                   help="override the site's kiosk.orientation")
    p.add_argument("--windowed", action="store_true", help="development: a window instead of full screen")
    p.add_argument("--input", choices=("touch", "mouse"), default="touch",
                   help="touch: the touchscreen only (default); mouse: development and Xvfb tests")
    p.add_argument("--fake-printer", action="store_true", help="no printer: slips are only recorded")
    p.add_argument("--no-read-aloud", action="store_true", help="no speaker button: a kiosk without sound output "
                   "(read-aloud needs espeak-ng and sox's play or aplay; the sound goes to the default output)")
    p.add_argument("--tour", metavar="DIR", default=None,
                   help="render every screen in every language to DIR/<lang>/*.png and exit (no broker needed)")
    app_options.add_arguments(p)  # --window, --snapshot-dir, --snapshot-seconds, --sim-clock


def settings_from(args: argparse.Namespace) -> KioskSettings:
    try:
        site = load_site(args.site)
    except SiteConfigError as exc:
        raise KioskSetupError(str(exc)) from None
    if not site.kiosks:
        raise KioskSetupError(f"{args.site}: the site has no [[kiosks]]")
    try:
        broker = broker_auth.from_args(args)
    except broker_auth.BrokerConfigError as exc:
        raise KioskSetupError(str(exc)) from None
    if args.kiosk is None and broker.device_id and broker.role == "kiosk":
        args.kiosk = broker.device_id
    kiosk = next((k for k in site.kiosks if k.id == args.kiosk), None) if args.kiosk else site.kiosks[0]
    if kiosk is None:
        raise KioskSetupError(f"{args.site}: no kiosk {args.kiosk!r}; known: {', '.join(k.id for k in site.kiosks)}")
    orientation = args.orientation or kiosk.orientation
    w, h = (1080, 1920) if orientation == "portrait" else (1920, 1080)
    geometry = app_options.window_geometry(args)
    if geometry is not None and args.tour:
        raise KioskSetupError("--tour renders the screens at full size: leave out --window")
    windowed = args.windowed or geometry is not None
    window = WindowSettings(width=w, height=h, fullscreen=not windowed and not args.tour,
                            input="mouse" if args.tour else args.input, show_cursor=windowed, geometry=geometry)
    printer = next((p for p in site.printers if p.id == kiosk.printer), None)
    if args.data_dir:
        data = Path(args.data_dir)
    elif os.environ.get("STATE_DIRECTORY"):  # systemd's StateDirectory= (the home is hidden by ProtectHome)
        data = Path(os.environ["STATE_DIRECTORY"].split(":")[0]) / kiosk.id
    else:
        data = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local/share") / "arkaden" / kiosk.id
    return KioskSettings(site=site, kiosk=kiosk, host=broker.host, port=broker.port, auth=broker.auth,
                         data_dir=data, window=window,
                         timeouts=Timeouts(args.inactivity, args.done_seconds),
                         printer_url=None if args.fake_printer or printer is None else printer.url,
                         printer_width=printer.width_dots if printer else 576, scanner_path=kiosk.scanner,
                         clock=app_options.clock(args), snapshots=app_options.snapshot_settings(args),
                         read_aloud=not args.no_read_aloud)


def open_printer(settings: KioskSettings) -> Any:
    if settings.printer_url is None:
        from .printing.fake import FakeTicketPrinter

        log.warning("no printer configured for %s: slips are not printed", settings.kiosk.id)
        return FakeTicketPrinter()
    try:
        from kiosk_app.printing.factory import PrinterURLError
        from kiosk_app.printing.factory import open_printer as factory
    except ImportError as exc:
        raise KioskSetupError(f"printer {settings.printer_url}: the printer drivers are not installed ({exc}); "
                              "use --fake-printer to run without one") from None
    try:
        return factory(settings.printer_url, settings.printer_width)
    except PrinterURLError as exc:
        raise KioskSetupError(f"kiosk {settings.kiosk.id}: printer {exc}") from None


def open_scanner(settings: KioskSettings) -> Any:
    from serial_devices.scanner import FakeScannerSource

    if not settings.scanner_path:
        return FakeScannerSource(health="none")  # no scanner configured: the keypad only
    try:
        from serial_devices.serial_scanner import SerialScannerSource
    except ImportError as exc:
        raise KioskSetupError(f"scanner {settings.scanner_path}: the serial scanner driver is missing ({exc}); "
                              "remove kiosk.scanner from the site file to run with the keypad only") from None
    return SerialScannerSource(settings.scanner_path)


def open_player(settings: KioskSettings) -> Any:
    """The read-aloud player (sox's play, else aplay), or None: no espeak-ng, no player, or --no-read-aloud."""
    from ui_common.speech import CommandPlayer, find_espeak

    if not settings.read_aloud:
        return None
    player = CommandPlayer.find()
    if player is None or find_espeak() is None:
        log.warning("read-aloud is off: it needs espeak-ng and sox (play) or alsa-utils (aplay)")
        return None
    return player


def build_parts(settings: KioskSettings, *, printer: Any = None, scanner: Any = None, player: Any = None) -> Any:
    """The real parts: the link to the broker, the outbox, the backend, the printer, the scanner, the player."""
    from device_link.link import Link

    from .core_backend import CoreBackend
    from .outbox import Outbox, OutboxError
    from .parts import KioskParts
    from .status import DeviceStatus

    site, kiosk_id = settings.site, settings.kiosk.id
    printer = printer if printer is not None else open_printer(settings)  # a bad URL stops us before connecting
    try:
        outbox = Outbox(settings.data_dir / "outbox.sqlite", kiosk_id, keep_days=site.policy.retention_days)
    except OutboxError as exc:
        raise KioskSetupError(str(exc)) from None
    holder: dict[str, Any] = {}
    link = Link(site, settings.host, settings.port, lambda line: log.info("%s", line), device_id=kiosk_id,
                kind="kiosk", on_connected=lambda: holder["backend"].connected(), auth=settings.auth,
                clock=settings.clock, subscriptions=[CoreBackend.presence_topic(site)],
                on_public=lambda topic, data: holder["backend"].on_public(topic, data))
    status = DeviceStatus(publish=link.set_presence_detail)
    backend = CoreBackend(site, kiosk_id, link, outbox, on_outbox=status.outbox, clock=settings.clock)
    holder["backend"] = backend
    link.start()
    backend.start()

    def close() -> None:
        backend.stop()
        link.stop()
        outbox.close()

    return KioskParts(site=site, kiosk_id=kiosk_id, backend=backend,
                      printer=printer,
                      scanner=scanner if scanner is not None else open_scanner(settings), status=status,
                      portrait=settings.window.height > settings.window.width, timeouts=settings.timeouts,
                      clock=settings.clock, snapshots=settings.snapshots, closers=[close],
                      player=player if player is not None else open_player(settings),
                      scanner_at=settings.kiosk.scanner_at if settings.kiosk.scanner or scanner is not None else None,
                      slip_out=settings.kiosk.slip_out)


def prepare(settings: KioskSettings, name: str = "kiosk") -> None:
    """Kivy's environment (before any Kivy import) and the fonts (built once into the cache)."""
    from ui_common import kivy_env, typeset
    from ui_common.fonts import FontMissing

    kivy_env.prepare(name, settings.window)
    try:
        typeset.prepare_fonts()
    except FontMissing as exc:
        raise KioskSetupError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="arkaden kiosk", description=__doc__)
    add_arguments(parser)
    parser.add_argument("--log-level", default=None)
    args = parser.parse_args(argv)
    from host_support import logs

    logs.setup(args.log_level)
    return run(args)


def run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        prepare(settings)
        if args.tour:
            from .tour import run_tour

            count = run_tour(settings, Path(args.tour))
            print(f"wrote {count} screenshots to {args.tour}")
            return 0
        parts = build_parts(settings)
    except KioskSetupError as exc:
        print(f"arkaden kiosk: {exc}", file=sys.stderr)
        return 2
    from .app import KioskApp

    KioskApp(parts).run()
    return 0
