"""`arkaden bookings letter`: a journey's invitation letter as PDF, or the letters of every journey of a day."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from queue_rules import codes
from queue_rules.journeys import Journey
from queue_rules.site import Site

from .common import parse_day, site_or_exit, store_from, with_db


def _fail(message: str) -> SystemExit:
    print(f"error: {message}", file=sys.stderr)
    return SystemExit(2)


def _language(site: Site, journey: Journey, asked: str | None) -> str:
    """The letter's language: --lang if the site offers it, else the journey's, else German (with a warning)."""
    offered = site.site.languages
    if asked is not None:
        asked = asked.strip().lower()
        if asked not in offered:
            raise _fail(f"the site does not offer language {asked!r} (it offers {', '.join(offered)})")
        return asked
    if journey.language in offered:
        return journey.language
    print(f"warning: {codes.display(journey.code)}: the site does not offer the journey's language "
          f"{journey.language!r}; writing the letter in German", file=sys.stderr)
    return "de"


def _write(site: Site, journey: Journey, lang: str, path: Path) -> None:
    from letters.letter import LetterError, render_letter

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # fpdf2 subsets fonts; its INFO lines are noise here
    try:
        pdf = render_letter(site, journey, lang)
    except LetterError as exc:
        raise _fail(str(exc)) from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pdf)
    except OSError as exc:
        raise _fail(f"cannot write {path}: {exc.strerror or exc}") from None
    print(f"{codes.display(journey.code)} ({lang}): {path}")


def cmd_bookings_letter(args: argparse.Namespace) -> int:
    if args.code is not None and args.all is not None:
        raise _fail("give either a booking code or --all DATE, not both")
    if args.code is None and args.all is None:
        raise _fail("give a booking code, or --all DATE for every journey of a day")
    site = site_or_exit(args.site)
    store = store_from(args)
    if args.all is not None:
        day = parse_day(args.all)
        if day is None:
            raise _fail(f"{args.all!r} is not a date like 2026-12-02 or 02.12.2026")
        out = Path(args.out or ".")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _fail(f"cannot create {out}: {exc.strerror or exc}") from None
        found = [j for j in store.journeys_on(day, site.tz) if j.on_day(day, site)]
        for each in found:
            _write(site, each, _language(site, each, args.lang), out / f"{codes.display(each.code)}.pdf")
        print(f"{len(found)} letters for {day:%d.%m.%Y} in {out}")
        return 0
    if codes.check(args.code) != "ok":
        raise _fail(f"{args.code!r} is not a booking code (mistyped? codes look like {codes.display('ACDEFGH')})")
    code = codes.normalise(args.code)
    journey = store.journey(code)
    if journey is None:
        raise _fail(f"no journey with code {codes.display(code)}")
    lang = _language(site, journey, args.lang)
    out = Path(args.out or f"{codes.display(code)}.pdf")
    if out.is_dir():  # a folder: the letter goes into it, named by its code
        out = out / f"{codes.display(code)}.pdf"
    _write(site, journey, lang, out)
    return 0


def add_letter_parser(bookings: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`bookings letter CODE [--lang LANG] [--out FILE.pdf]` and `bookings letter --all DATE [--out DIR]`."""
    p = bookings.add_parser("letter", help="invitation letters as PDF: one journey's, or every journey's of a day")
    p.add_argument("code", nargs="?", help="the journey's booking code")
    p.add_argument("--all", metavar="DATE", help="every journey with a stop that day (YYYY-MM-DD), one PDF each, "
                                                 "named by its code, in its language")
    p.add_argument("--lang", help="the reader's language, printed beside German (default: the journey's)")
    p.add_argument("--out", help="the PDF file, or a folder to put CODE.pdf in (default: CODE.pdf here); with "
                                 "--all, the folder (default: here)")
    p.add_argument("--site", required=True)
    with_db(p)
    p.set_defaults(func=cmd_bookings_letter)
