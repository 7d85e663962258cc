"""The kiosk's view model: which step a client is at, what they chose, and what happens on each tap or scan.

Plain Python, no Kivy: the screens only show this state and call these methods. Slow work (asking the core,
printing) runs through ``run``/``post`` given by the app, so the UI thread never waits; results of a session
the client has already left (inactivity reset) change nothing on screen, but a ticket issued is still printed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from host_support.sim_clock import real_now
from queue_protocol.scan import classify_scan
from queue_rules import codes
from queue_rules.site import Site
from ui_common.speech import voice_for

from . import concerns as tiles_mod
from . import texts as T
from .backend import (
    Appointment,
    Backend,
    CheckInRequest,
    CheckInResult,
    LookupResult,
    Ticket,
    TicketInfo,
)
from .printing.port import PrinterStatus, PrintOutcome, Slip, TicketPrinter
from .slips import slip_for

log = logging.getLogger("arkaden.kiosk.flow")

Step = Literal["welcome", "start", "keypad", "appointments", "concerns", "details", "confirm", "working", "done",
               "on_screen", "message", "ticket_status"]
Runner = Callable[[Callable[[], Any], Callable[[Any], None]], None]
Post = Callable[..., None]
MAX_CODE = codes.CODE_LENGTH   # typed; a scanned code may be longer (up to 32)
MAX_PARTY = 6          # "6+" on the screen


@dataclass(frozen=True)
class Message:
    """An explanation instead of a dead end: msgids to show, optionally an agency's hours, where 'back' goes."""

    lines: tuple[str, ...]
    hours_agency: str | None = None
    back_to: Step = "start"
    offer_code: bool = False      # show "I have an appointment" (appointment-only concerns)
    concern: str | None = None    # the concern it is about: names the office, says what to do instead
    kind: Literal["plain", "closed", "appointment_only"] = "plain"


@dataclass
class Timeouts:
    inactivity_s: float = 45.0    # any screen → welcome, everything entered forgotten
    done_s: float = 15.0          # "take your ticket" and the on-screen ticket stay this long


@dataclass
class KioskFlow:
    site: Site
    backend: Backend
    printer: TicketPrinter
    run: Runner
    post: Post
    clock: Callable[[], datetime] = real_now
    default_lang: str = "de"
    timeouts: Timeouts = field(default_factory=Timeouts)
    on_change: Callable[[], None] | None = None
    on_printer_status: Callable[[PrinterStatus], None] | None = None
    on_printing: Callable[[float], None] | None = None   # benchmark hook: seconds from confirm to submit

    # state of the current client
    lang: str = "de"
    step: Step = "welcome"
    session: int = 0
    code: str = ""
    appointments: tuple[Appointment, ...] = ()
    concern: str | None = None
    party: int = 1
    interpreter: bool = False
    step_free: bool = False
    announce: bool = False        # also call the number in the client's language (he chose it)
    ticket: Ticket | None = None
    slip: Slip | None = None
    message: Message | None = None
    ticket_status: TicketInfo | None = None
    busy: bool = False
    _confirmed_at: float = 0.0

    def __post_init__(self) -> None:
        self.lang = self.default_lang

    # --- navigation ------------------------------------------------------------------------------

    def _go(self, step: Step) -> None:
        self.step = step
        if self.on_change is not None:
            self.on_change()

    def reset(self) -> None:
        """Back to the welcome screen; everything the client entered is forgotten."""
        self.session += 1
        self.lang = self.default_lang
        self.code, self.appointments, self.concern = "", (), None
        self.party, self.interpreter, self.step_free, self.announce = 1, False, False, False
        self.ticket = self.slip = self.message = self.ticket_status = None
        self.busy = False
        self._go("welcome")

    def timeout_s(self) -> float:
        """How long the current step may sit untouched before the kiosk starts over."""
        return self.timeouts.done_s if self.step in ("done", "on_screen") else self.timeouts.inactivity_s

    def back(self) -> None:
        previous: dict[str, Step] = {"start": "welcome", "keypad": "start", "appointments": "keypad",
                                     "concerns": "start", "details": "concerns", "confirm": "details",
                                     "ticket_status": "start"}
        if self.step in ("done", "on_screen", "welcome"):
            self.reset()
        elif self.step == "message" and self.message is not None:
            self._go(self.message.back_to)
        elif self.step in previous:
            self._go(previous[self.step])

    def choose_language(self, lang: str) -> None:
        self.lang = lang
        self._go("start")

    def walk_in(self) -> None:
        self._go("concerns")

    def booked(self) -> None:
        self.code = ""
        self._go("keypad")

    def _explain(self, *lines: str, hours_agency: str | None = None, back_to: Step = "start",
                 offer_code: bool = False) -> None:
        self.message = Message(tuple(lines), hours_agency, back_to, offer_code)
        self._go("message")

    def _explain_concern(self, concern: str, kind: Literal["closed", "appointment_only"]) -> None:
        """Why this concern cannot be chosen now, which office it is, and what to do instead (reception)."""
        agency = self.site.agency_of_service(self.site.concern(concern).service).id
        if kind == "closed":
            self.message = Message((T.CLOSED_EXPLAINED,), agency, "concerns", concern=concern, kind=kind)
        else:
            self.message = Message((T.APPOINTMENT_ONLY_EXPLAINED,), None, "concerns", True, concern, kind)
        self._go("message")

    # --- booked clients --------------------------------------------------------------------------

    def press_key(self, key: str) -> None:
        """A key of the code's alphabet (no look-alikes such as 0/O, 1/I); at most a code's length."""
        key = key.upper()
        if len(self.code) < MAX_CODE and len(key) == 1 and key in codes.ALPHABET:
            self.code += key
            self._go("keypad")

    def delete_key(self) -> None:
        self.code = self.code[:-1]
        self._go("keypad")

    @property
    def code_shown(self) -> str:
        """The code as typed so far, grouped as on the letter: ``XXXX-XXX``."""
        return self.code if len(self.code) <= 4 else f"{self.code[:4]}-{self.code[4:]}"

    def submit_code(self) -> None:
        """Check the typed code before asking the core: a typo is told at once (and counts against no limit)."""
        if any(ch not in codes.ALPHABET for ch in self.code):  # a scanned code of an older kind: the core knows
            self._lookup(self.code)
            return
        checked = codes.check(self.code)
        if checked == "malformed":
            self._explain(T.CODE_TOO_SHORT, back_to="keypad")
        elif checked == "mistyped":
            self._explain(T.MISTYPED_CODE, back_to="keypad")
        else:
            self._lookup(self.code)

    def scan(self, text: str) -> None:
        """A line from the scanner, on any screen: an invitation's booking code, or a slip's ticket."""
        if self.busy:
            return
        scanned = classify_scan(text)
        if scanned is None:
            self._explain(T.UNREADABLE, back_to="start")
        elif scanned.kind == "booking":
            self.code = scanned.value.upper()[:32]
            if self.step == "welcome":
                self.step = "start"
            self._lookup(self.code)
        else:
            self._work(lambda: self.backend.lookup_ticket(scanned.value), self._ticket_looked_up)

    def _work(self, fn: Callable[[], Any], then: Callable[[Any], None]) -> None:
        session = self.session
        self.busy = True
        self._go("working")

        def done(result: Any) -> None:
            if session != self.session:
                return  # the client has gone (inactivity reset): show nothing
            self.busy = False
            then(result)

        self.run(fn, done)

    def _lookup(self, code: str) -> None:
        self._work(lambda: self.backend.lookup(code), self._looked_up)

    def _looked_up(self, result: LookupResult) -> None:
        if result.kind == "found":
            self.appointments = result.appointments
            self._go("appointments")
        elif result.kind == "refused" and result.error == "mistyped_code":
            self._explain(T.MISTYPED_CODE, back_to="keypad")
        elif result.kind == "refused":
            self._explain(T.NO_BOOKING, T.ASK_RECEPTION, back_to="keypad")
        else:  # the core is unreachable: check in with the code anyway, offline
            self._check_in(CheckInRequest(self.lang, booking_code=self.code))

    def _ticket_looked_up(self, result: LookupResult) -> None:
        if result.kind == "found" and result.booking_code:   # a visit booked into today: check in with its code
            self.code = result.booking_code
            self._lookup(self.code)
        elif result.kind == "found" and result.ticket is not None:
            self.ticket_status = result.ticket
            self._go("ticket_status")
        elif result.kind == "refused":
            self._explain(T.UNREADABLE, T.ASK_RECEPTION)
        else:
            self._explain(T.FULL_OFFLINE, T.ASK_RECEPTION)

    @property
    def appointments_today(self) -> tuple[Appointment, ...]:
        return tuple(a for a in self.appointments if a.today)

    @property
    def can_check_in(self) -> bool:
        """Whether "check in now" is offered: an appointment of today is not checked in yet."""
        return any(not a.checked_in for a in self.appointments_today)

    def check_in_booked(self) -> None:
        if not self.appointments_today:
            self._explain(T.NO_BOOKING, T.ASK_RECEPTION)
        elif not self.can_check_in:
            self._explain(T.ALREADY_CHECKED_IN, T.ASK_RECEPTION)
        else:
            self._check_in(CheckInRequest(self.lang, booking_code=self.code))

    # --- walk-ins --------------------------------------------------------------------------------

    def tiles(self) -> list[tiles_mod.Tile]:
        return tiles_mod.tiles(self.site, self.lang, self.clock())

    def choose_concern(self, concern_id: str) -> None:
        tile = next(t for t in self.tiles() if t.concern == concern_id)
        if tile.availability == "appointment_only":
            self._explain_concern(concern_id, "appointment_only")
        elif tile.availability == "closed":
            self._explain_concern(concern_id, "closed")
        else:
            self.concern = concern_id
            self.party, self.interpreter, self.step_free, self.announce = 1, False, False, False
            self._go("details")

    def set_party(self, n: int) -> None:
        self.party = max(1, min(MAX_PARTY, n))
        self._go(self.step)

    def set_interpreter(self, yes: bool) -> None:
        self.interpreter = yes
        self._go(self.step)

    def set_step_free(self, yes: bool) -> None:
        self.step_free = yes
        self._go(self.step)

    @property
    def announce_offered(self) -> bool:
        """Whether "also call my number in my language" is offered: in every language but German (calls always
        are). Where the displays have no voice for it (Pashto, Tigrinya) they play a chime and say the number in
        English instead, and the question says so (`announce_spoken`)."""
        return self.lang != "de"

    @property
    def announce_spoken(self) -> bool:
        """Whether the displays can say the call in the client's language (espeak-ng has a voice for it)."""
        return voice_for(self.lang) is not None

    def set_announce(self, yes: bool) -> None:
        self.announce = yes and self.announce_offered
        self._go(self.step)

    def to_confirm(self) -> None:
        self._go("confirm")

    def confirm(self) -> None:
        """The client taps "print": check in, then print."""
        if self.busy or self.concern is None:
            return
        self._confirmed_at = time.perf_counter()
        self._check_in(CheckInRequest(self.lang, concern=self.concern, party_size=self.party,
                                      interpreter=self.interpreter, step_free=self.step_free,
                                      announce=self.announce and self.announce_offered))

    # --- check-in and printing -------------------------------------------------------------------

    def _check_in(self, request: CheckInRequest) -> None:
        if not self._confirmed_at:
            self._confirmed_at = time.perf_counter()
        concern = request.concern
        session = self.session

        def issued(result: CheckInResult) -> None:
            self._issued(result, concern, request.lang, session)

        self.busy = True
        self._go("working")
        self.run(lambda: self.backend.check_in(request), issued)

    def _issued(self, result: CheckInResult, concern: str | None, lang: str, session: int) -> None:
        if result.kind == "issued" and result.ticket is not None:
            slip = slip_for(self.site, result.ticket, lang=lang, concern_id=concern)
            if session == self.session:
                self.ticket, self.slip = result.ticket, slip
            if self.on_printing is not None:
                self.on_printing(time.perf_counter() - self._confirmed_at)
            self._confirmed_at = 0.0
            self.printer.submit(slip, lambda outcome: self.post(self._printed, outcome, session))
            return
        self._confirmed_at = 0.0
        if session != self.session:
            return
        self.busy = False
        if result.kind == "refused" and result.error == "closed" and concern is not None:
            self._explain_concern(concern, "closed")
        elif result.kind == "refused" and result.error == "appointment_only" and concern is not None:
            self._explain_concern(concern, "appointment_only")
        elif result.kind == "refused" and result.error == "appointment_only":
            self._explain(T.APPOINTMENT_ONLY_EXPLAINED, T.ASK_RECEPTION, back_to="concerns", offer_code=True)
        elif result.kind == "refused" and result.error == "no_booking":
            self._explain(T.NO_BOOKING, T.ASK_RECEPTION, back_to="keypad")
        elif result.kind == "refused" and result.error == "mistyped_code":
            self._explain(T.MISTYPED_CODE, back_to="keypad")
        elif result.kind == "refused" and result.error == "checked_in":
            self._explain(T.ALREADY_CHECKED_IN, T.ASK_RECEPTION)
        elif result.kind == "refused":
            log.warning("check-in refused: %s", result.error)
            self._explain(T.FAILED, T.ASK_RECEPTION)
        else:
            log.error("no ticket could be issued: %s", result.error)
            self._explain(T.FULL_OFFLINE, T.ASK_RECEPTION)

    def _printed(self, outcome: PrintOutcome, session: int) -> None:
        if not outcome.printed:
            log.error("slip %s not printed: %s", outcome.ticket_id, outcome.reason)
        if self.on_printer_status is not None:
            self.on_printer_status(outcome.status)
        if session != self.session:
            return
        self.busy = False
        self._go("done" if outcome.printed else "on_screen")
