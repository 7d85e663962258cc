"""`arkaden bookings add|import|list|cancel|letter` and `arkaden journeys list|join`: the agencies' appointments."""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path

from queue_core.bookings import ImportedBooking
from queue_core.store import BookingInput, Store
from queue_rules import codes, journeys
from queue_rules.site import Site

from .common import parse_day, site_or_exit, store_from, with_db


def _input(site: Site, b: ImportedBooking) -> BookingInput:
    return BookingInput(agency=site.service(b.service).agency, service=b.service, slot=b.slot, minutes=b.minutes,
                        language=b.language, party_size=b.party_size, interpreter=b.interpreter,
                        step_free=b.step_free, ref=b.ref, journey_ref=b.journey_ref, cancelled=b.cancelled)


def _code_or_exit(store: Store, typed: str) -> str:
    if codes.check(typed) != "ok":
        print(f"error: {typed!r} is not a booking code (mistyped? codes look like {codes.display('ACDEFGH')})",
              file=sys.stderr)
        raise SystemExit(2)
    code = codes.normalise(typed)
    if store.journey(code) is None:
        print(f"error: no journey with code {codes.display(code)}", file=sys.stderr)
        raise SystemExit(2)
    return code


def _day(text: str | None, site: Site) -> date:
    if text is None:
        return datetime.now(site.tz).date()
    day = parse_day(text)
    if day is None:
        print(f"error: {text!r} is not a date like 2026-12-02 or 02.12.2026", file=sys.stderr)
        raise SystemExit(2)
    return day


def _implausible(site: Site, b: ImportedBooking) -> str | None:
    """Why a booking looks wrong though it can be stored: in the past, or when its agency is closed."""
    if b.cancelled:
        return None
    local = b.slot.astimezone(site.tz)
    if local < datetime.now(site.tz) - timedelta(days=1):
        return f"{local:%d.%m.%Y %H:%M} is in the past"
    agency = site.agency_of_service(b.service)
    if not agency.is_open(local):
        return f"{agency.short} is closed at {local:%a %d.%m. %H:%M} (the booking is kept; check the time)"
    return None


def cmd_bookings_add(args: argparse.Namespace) -> int:
    from queue_core.bookings import BookingError, make_booking

    site = site_or_exit(args.site)
    store = store_from(args)
    journey = _code_or_exit(store, args.journey) if args.journey else None
    try:
        booking = make_booking(site, ref=args.ref or f"cli-{uuid.uuid4().hex[:12]}", service=args.service,
                               slot=args.slot, minutes=args.minutes, language=args.language,
                               party_size=args.party_size, interpreter=args.interpreter, step_free=args.step_free)
    except BookingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    doubt = _implausible(site, booking)
    if doubt:
        print(f"warning: {doubt}", file=sys.stderr)
    item = _input(site, booking)
    if journey is not None:
        item = BookingInput(**{**item.__dict__, "journey": journey})
    summary = store.import_bookings([item])
    outcome = "added" if summary.added else "updated" if summary.updated else "unchanged"
    print(f"{outcome}: booking code {codes.display(summary.journeys[0])}")
    return 0


def cmd_bookings_import(args: argparse.Namespace) -> int:
    from queue_core.bookings import BookingError, read_bookings

    site = site_or_exit(args.site)
    try:
        result = read_bookings(site, Path(args.file))
    except (BookingError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    refused = [x for x in result.problems if not x.warning]
    for problem in result.problems:
        kind = "warning: " if problem.warning else ""
        print(f"{args.file}:{problem.line}: {kind}{problem.reason}", file=sys.stderr)
    for b in result.bookings:
        doubt = _implausible(site, b)
        if doubt:
            print(f"{args.file}:{b.line}: warning: {doubt}", file=sys.stderr)
    summary = store_from(args).import_bookings([_input(site, b) for b in result.bookings])
    print(f"read {len(result.bookings)} bookings: {summary.added} added, {summary.updated} updated, "
          f"{summary.cancelled} cancelled, {summary.unchanged} unchanged; {len(refused)} refused "
          f"(see the lines above); {len(summary.journeys)} journeys")
    return 1 if refused else 0


def cmd_bookings_list(args: argparse.Namespace) -> int:
    site = site_or_exit(args.site)
    day = _day(args.date, site)
    start = datetime.combine(day, time(), tzinfo=site.tz)
    rows = store_from(args).bookings_between(start, start + timedelta(days=1))
    print(f"{len(rows)} bookings on {day:%d.%m.%Y}")
    if rows:
        print("time  min  code      #booking service                language, people  agency's ref  notes")
    for r in rows:
        flags = " ".join(f for f, on in (("interpreter", r.interpreter), ("step-free", r.step_free),
                                         ("CANCELLED", r.cancelled)) if on)
        print(f"{r.stop.slot.astimezone(site.tz):%H:%M} {r.stop.minutes:>3} min  {codes.display(r.code)}  "
              f"#{r.stop.booking_id:<5} {r.stop.service:<22} {r.language:<3} x{r.party_size}  "
              f"ref {r.stop.external_ref or '-'}  {flags}".rstrip())
    return 0


def cmd_bookings_cancel(args: argparse.Namespace) -> int:
    store = store_from(args)
    code = _code_or_exit(store, args.code)
    journey = store.journey(code)
    target = journey.code if journey else code
    n = store.cancel(code, args.booking)
    via = f" (the code leads to {codes.display(target)})" if target != code else ""
    if not n:
        what = f"booking #{args.booking} is not an open booking of" if args.booking else "no open booking left in"
        print(f"nothing cancelled: {what} {codes.display(code)}{via}", file=sys.stderr)
        return 1
    print(f"cancelled {n} booking(s) of {codes.display(code)}{via}; a re-import of the agency's file does not "
          "bring them back")
    return 0


def cmd_journeys_list(args: argparse.Namespace) -> int:
    site = site_or_exit(args.site)
    day = _day(args.date, site)
    found = store_from(args).journeys_on(day, site.tz)
    flagged = 0
    print(f"{len(found)} journeys on {day:%d.%m.%Y}")
    for j in found:
        stops = " -> ".join(f"{s.slot.astimezone(site.tz):%H:%M} {s.service}" for s in j.on_day(day, site))
        later = [d for d in j.days(site) if d > day]
        more = f"  (+ {', '.join(f'{d:%d.%m.}' for d in later)})" if later else ""
        print(f"{codes.display(j.code)}  {j.language:<3} x{j.party_size}  {stops}{more}")
        for problem in journeys.gap_problems(site, j):
            flagged += 1
            what = "OVERLAP" if problem.kind == "overlap" else "gap too short"
            print(f"    {what}: {problem.first.service} ends {problem.gap_minutes} min before "
                  f"{problem.second.service} at {problem.second.slot.astimezone(site.tz):%H:%M}"
                  if problem.gap_minutes >= 0 else
                  f"    {what}: {problem.first.service} runs {-problem.gap_minutes} min into "
                  f"{problem.second.service} at {problem.second.slot.astimezone(site.tz):%H:%M}")
    if flagged:
        print(f"{flagged} gap(s) to look at (minimum gap: {site.policy.journey_min_gap_minutes} min)")
    return 0


def cmd_journeys_join(args: argparse.Namespace) -> int:
    store = store_from(args)
    found = list(dict.fromkeys(_code_or_exit(store, c) for c in args.codes))
    if len({j.code for c in found if (j := store.journey(c)) is not None}) < 2:
        print("error: give two or more codes of different journeys", file=sys.stderr)
        return 2
    parts = [j for c in found if (j := store.journey(c)) is not None]
    if len({j.language for j in parts if j.stops}) > 1 or len({j.party_size for j in parts if j.stops}) > 1:
        print("warning: these journeys were booked for different languages or party sizes: are they the same "
              "client? (" + ", ".join(f"{codes.display(j.code)} {j.language} x{j.party_size}" for j in parts) + ")",
              file=sys.stderr)
    target = store.join(found)
    journey = store.journey(target)
    print(f"joined into {codes.display(target)}: {len(journey.stops) if journey else 0} bookings; "
          "the other codes lead there too")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from .letter_commands import add_letter_parser

    bookings = sub.add_parser("bookings", help="the agencies' appointments").add_subparsers(dest="what",
                                                                                          required=True)
    p = bookings.add_parser("add", help="add one booking; prints its booking code")
    p.add_argument("--site", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--slot", required=True, help="local time, e.g. 2026-11-23T09:30")
    p.add_argument("--minutes", type=int, default=30)
    p.add_argument("--language", default="de")
    p.add_argument("--party-size", type=int, default=1)
    p.add_argument("--interpreter", action="store_true")
    p.add_argument("--step-free", action="store_true")
    p.add_argument("--ref", help="the agency's own booking id (adding it again updates the booking)")
    p.add_argument("--journey", help="add to this journey (its booking code)")
    with_db(p)
    p.set_defaults(func=cmd_bookings_add)
    p = bookings.add_parser("import", help="add or update bookings from a .csv or .ics file (docs/bookings.md)")
    p.add_argument("--site", required=True)
    p.add_argument("file")
    with_db(p)
    p.set_defaults(func=cmd_bookings_import)
    p = bookings.add_parser("list", help="the day's bookings")
    p.add_argument("--site", required=True)
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")
    with_db(p)
    p.set_defaults(func=cmd_bookings_list)
    p = bookings.add_parser("cancel", help="cancel a journey's bookings (or one, with --booking)")
    p.add_argument("code")
    p.add_argument("--booking", type=int, help="the booking's number (#) from `bookings list`")
    with_db(p)
    p.set_defaults(func=cmd_bookings_cancel)
    add_letter_parser(bookings)

    journeys_ = sub.add_parser("journeys", help="clients' journeys across agencies").add_subparsers(
        dest="what", required=True)
    p = journeys_.add_parser("list", help="the day's journeys, with gaps that are too short or overlap")
    p.add_argument("--site", required=True)
    p.add_argument("--date", help="YYYY-MM-DD (default: today)")
    with_db(p)
    p.set_defaults(func=cmd_journeys_list)
    p = journeys_.add_parser("join", help="join journeys (bookings from different agencies' files) into the first")
    p.add_argument("codes", nargs="+")
    with_db(p)
    p.set_defaults(func=cmd_journeys_join)
