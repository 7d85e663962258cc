"""`arkaden ticket ...` (arguments in arkaden_cli/devices.py): sample slip to PNG, test print, printer simulator."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from host_support.site_file import load_site
from queue_rules.site import SiteConfigError

if TYPE_CHECKING:
    from .port import PrintOutcome, Slip
    from .simulated_printer import SimulatedPrinter


def _sample(args: argparse.Namespace) -> Slip:
    from .sample import sample_slip

    try:
        site = load_site(args.site)
    except SiteConfigError as exc:
        raise SystemExit(f"error: {exc}") from None
    return sample_slip(site, args.lang, wait_min=args.wait)


def preview(args: argparse.Namespace) -> int:
    from ui_common.languages import UnknownLanguage

    from .slip import render_slip

    try:
        image = render_slip(_sample(args), args.width)
    except (UnknownLanguage, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)
    print(f"{out}: {image.width}x{image.height} dots, language {args.lang}")
    return 0


def print_sample(args: argparse.Namespace) -> int:
    from .factory import PrinterURLError, open_printer

    try:
        printer = open_printer(args.printer, args.width)
    except PrinterURLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()
    outcome: list[PrintOutcome] = []

    def finished(o: PrintOutcome) -> None:
        outcome.append(o)
        done.set()

    printer.start(lambda status: print(f"status: {status}"))
    printer.submit(_sample(args), finished)
    done.wait(30)
    printer.stop()
    if not outcome:
        print("error: no answer from the print worker", file=sys.stderr)
        return 1
    print(f"printed: {outcome[0].printed} {outcome[0].reason}")
    return 0 if outcome[0].printed else 1


def simulate(args: argparse.Namespace) -> int:
    from .simulator import TcpPrinterSimulator

    sim = TcpPrinterSimulator(host=args.host, port=args.port).start()
    print(f"printer simulator on {sim.url}; slips are written to {args.out}/ (Ctrl-C stops)")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    saved = 0

    def printed_more(printer: SimulatedPrinter) -> bool:
        return len(printer.pages) > saved

    try:
        while True:
            sim.printer.wait_for(printed_more, timeout=1.0)
            while saved < len(sim.printer.pages):
                sim.printer.pages[saved].save(Path(args.out) / f"slip-{saved + 1:04d}.png")
                saved += 1
                print(f"slip {saved} printed")
            time.sleep(0.05)
    except KeyboardInterrupt:
        return 0
    finally:
        sim.stop()
