"""`arkaden ticket preview|print|printer-sim`: a sample slip to PNG, a test print, the printer simulator."""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .common import site_or_exit

if TYPE_CHECKING:  # kiosk_app (Pillow, escpos) is imported by the commands themselves, not by the parser
    from kiosk_app.printing.port import PrintOutcome, Slip
    from kiosk_app.printing.simulated_printer import SimulatedPrinter


def _sample(args: argparse.Namespace) -> Slip:
    from kiosk_app.printing.sample import sample_slip

    return sample_slip(site_or_exit(args.site), args.lang, wait_min=args.wait)


def preview(args: argparse.Namespace) -> int:
    from kiosk_app.printing.slip import render_slip
    from ui_common.languages import UnknownLanguage

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
    from kiosk_app.printing.factory import PrinterURLError, open_printer

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
    from kiosk_app.printing.simulator import TcpPrinterSimulator

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


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    what = sub.add_parser("ticket", help="ticket slips: preview, test print, printer simulator").add_subparsers(
        dest="what", required=True)

    def sample_args(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lang", default="de", help="the client's language (de en ar fa ps uk ru tr kmr ro fr ti)")
        p.add_argument("--width", type=int, choices=(576, 384), default=576, help="dots: 576 = 80 mm, 384 = 58 mm")
        p.add_argument("--site", default="sites/kia-aachen-arkaden.toml", help="site file for the sample content")
        p.add_argument("--wait", type=int, default=25, help="estimated waiting time in minutes")

    p = what.add_parser("preview", help="render a sample slip to a PNG file")
    sample_args(p)
    p.add_argument("--out", required=True, help="PNG file to write")
    p.set_defaults(func=preview)
    p = what.add_parser("print", help="print a sample slip through a printer URL")
    sample_args(p)
    p.add_argument("--printer", required=True, help="usb://VID:PID, serial:///dev/ttyUSB0, tcp://HOST:9100, ...")
    p.set_defaults(func=print_sample)
    p = what.add_parser("printer-sim", help="a simulated ESC/POS printer on TCP that saves what it prints as PNG")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9100)
    p.add_argument("--out", default="artifacts/printer-sim")
    p.set_defaults(func=simulate)
