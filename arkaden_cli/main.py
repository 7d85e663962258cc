"""The `arkaden` command: the queue core, its tools and every device app, one sub-command each."""

from __future__ import annotations

import argparse
import os
import sys

from host_support import logs

from . import booking_commands, core_commands, devices, provision_command, report_commands, tool_commands, users_command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arkaden", description=__doc__)
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO (default), WARNING, ERROR")
    sub = parser.add_subparsers(dest="command", required=True)
    core_commands.add_parsers(sub)       # core, protocol-docs, db, site, stats
    booking_commands.add_parsers(sub)    # bookings, journeys
    report_commands.add_parsers(sub)     # report, purge
    tool_commands.add_parsers(sub)       # bench, demo, simulate, watch, dev-broker
    provision_command.add_parsers(sub)   # provision, units
    devices.add_parsers(sub)             # ticket, buttons, display, reception, kiosk
    users_command.add_parsers(sub)  # users
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.command == "kiosk":
        args.kiosk_args = extra + (["--log-level", args.log_level] if args.log_level else [])
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logs.setup(args.log_level)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `arkaden journeys list | head`: the reader has gone, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
