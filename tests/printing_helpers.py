"""Shared bits for the slip and printer tests: sample slips and a journey from the real site, waiting on print outcomes,
reading slips back (QR codes, ink in the margins)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path

import zxingcpp
from PIL import Image, ImageChops

from host_support.site_file import load_site
from kiosk_app.backend import JourneyStop, Ticket, rooms_of_service
from kiosk_app.printing.port import PrinterStatus, PrintOutcome, Slip
from kiosk_app.printing.sample import sample_slip
from queue_protocol.scan import classify_scan
from queue_rules.site import Site

REPO_ROOT = Path(__file__).resolve().parent.parent
_site: list[Site] = []


def site() -> Site:
    if not _site:
        _site.append(load_site(REPO_ROOT / "sites" / "kia-aachen-arkaden.toml"))
    return _site[0]


def slip(lang: str = "de", **kw: object) -> Slip:
    return sample_slip(site(), lang, **kw)  # type: ignore[arg-type]


class Outcomes:
    """Collects on_done calls; ``wait(n)`` blocks until n arrived."""

    def __init__(self) -> None:
        self.items: list[PrintOutcome] = []
        self._cond = threading.Condition()

    def __call__(self, outcome: PrintOutcome) -> None:
        with self._cond:
            self.items.append(outcome)
            self._cond.notify_all()

    def wait(self, n: int = 1, timeout: float = 30.0) -> list[PrintOutcome]:
        with self._cond:
            if not self._cond.wait_for(lambda: len(self.items) >= n, timeout):
                raise AssertionError(f"only {len(self.items)} of {n} print outcomes after {timeout} s")
            return list(self.items)


class Statuses:
    """Collects on_status calls; ``wait_for(pred)`` blocks until one matches."""

    def __init__(self) -> None:
        self.items: list[PrinterStatus] = []
        self._cond = threading.Condition()

    def __call__(self, status: PrinterStatus) -> None:
        with self._cond:
            self.items.append(status)
            self._cond.notify_all()

    def wait_for(self, pred, timeout: float = 30.0) -> PrinterStatus:  # type: ignore[no-untyped-def]
        with self._cond:
            if not self._cond.wait_for(lambda: any(pred(s) for s in self.items), timeout):
                raise AssertionError(f"no matching printer status in {timeout} s; saw {self.items}")
            return next(s for s in self.items if pred(s))


def scanned_tokens(pages: list[Image.Image]) -> list[str]:
    """The ticket tokens a desk scanner reads from printed slips (QR decoded by zxing-cpp, then classified)."""
    tokens = []
    for page in pages:
        for code in zxingcpp.read_barcodes(page):
            scanned = classify_scan(code.text)
            assert scanned is not None and scanned.kind == "ticket", code.text
            tokens.append(scanned.value)
    return tokens


def journey_ticket(*, see_reception: bool = False) -> Ticket:
    """A ticket for three stops today (the first current) and one tomorrow, as the core sends it."""
    centre = site()
    day = datetime(2026, 11, 24, 0, 0, tzinfo=centre.tz)

    def stop(service: str, h: int, m: int, status: str, days: int = 0) -> JourneyStop:
        rooms, floor = rooms_of_service(centre, service)
        slot = day + timedelta(days=days, hours=h, minutes=m)
        queued = slot - timedelta(minutes=centre.early_minutes(service)) if days == 0 else None
        return JourneyStop(service, centre.service(service).agency, slot, 30, status, rooms, floor, queued)

    stops = (stop("aufenthaltstitel", 10, 30, "waiting"), stop("jobcenter", 11, 15, "planned"),
             stop("anerkennung", 12, 0, "planned"), stop("gesundheit", 9, 30, "planned", days=1))
    first = stops[0]
    return Ticket("A-017", "journey-token-0001", first.service, first.agency, first.rooms, first.floor, 2, 10,
                  day.replace(hour=10), print_id="journey-1", stops=stops, queued_from=first.queued_from,
                  see_reception=see_reception)


def ink_outside_margins(image: Image.Image) -> list[tuple[int, int, int, int]]:
    """Dots printed left or right of the slip's margins: a line that did not fit (nothing may be cut off).

    A few dots of a glyph's overhang (the hook of a "J") are allowed into the margin.
    """
    margin = int(16 * image.width / 576) - 4
    gray = image.convert("L")
    sides = (gray.crop((0, 0, margin, gray.height)), gray.crop((gray.width - margin + 1, 0, gray.width, gray.height)))
    return [box for side in sides if (box := ImageChops.invert(side).getbbox()) is not None]
