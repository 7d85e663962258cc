"""What a counsellor's desk page shows, as plain data: the counter, its current client, its waiting list, its actions.

Built from the core's retained state (the private reception list, the counter's state) and, for the current
client's journey, a DeskLookup answer. The templates only lay this out; every text here is data, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import queue_protocol as p
from queue_rules.site import Site
from ui_common.languages import LANGUAGES

from .feed import Snapshot
from .texts import documents, language_name, service_name

# the counter actions a desk page offers, by the current client's status (None: no client at the counter);
# the core decides, these only keep buttons that cannot work out of the way
ACTIONS: dict[str | None, tuple[p.CounterAction, ...]] = {
    None: ("next", "pause", "resume"),
    "called": ("next", "recall", "start", "no_show", "done", "park", "transfer", "refer", "book"),
    "serving": ("next", "done", "park", "transfer", "refer", "book"),
}
HANDOVERS: tuple[p.CounterAction, ...] = ("transfer", "refer", "book")


@dataclass(frozen=True)
class StopLine:
    """One stop of the current client's journey."""

    service: str       # "ABH: Infostelle …" (the agency first, unless the service is named after it)
    agency: str
    time: str          # "10:30" for a booked stop, "" for a walk-in stop
    day: str           # "" today, else "03.12."
    rooms: str
    status: str        # planned, waiting, called, serving, done, missed, cancelled


@dataclass(frozen=True)
class CurrentClient:
    ticket: str
    number: str
    status: str
    service: str
    language: str      # the language's German name (the counsellor's word for it), its own name, its code
    language_native: str
    language_code: str
    interpreter: bool
    party_size: int
    step_free: bool
    booked: bool
    since: str         # arrived at, "09:12"
    documents: tuple[str, ...]
    note: str          # the note handed over from the previous desk ("" when none)
    stops: tuple[StopLine, ...]


@dataclass(frozen=True)
class WaitingLine:
    number: str
    service: str
    since: str
    minutes: int
    language: str      # a language code shown as a flag only when it is not German
    language_name: str
    interpreter: bool


@dataclass(frozen=True)
class DeskView:
    counter: str
    label: str
    room: str
    agency: str
    status: str                                  # closed, open, paused
    current: CurrentClient | None
    waiting: tuple[WaitingLine, ...]
    more: int                                    # open tickets the reception list had no room for
    actions: tuple[p.CounterAction, ...]
    targets: tuple[tuple[str, str], ...]         # (service id, "agency: service") to hand a client on to
    online: bool                                 # the link to the core is up and the core says it runs


def _target(agency: str, service: str) -> str:
    """"JC: Bürgergeld", but not "Jobcenter: Jobcenter: Bürgergeld" when the service's name starts with it."""
    return service if service.lower().startswith(agency.lower()) else f"{agency}: {service}"


def _hhmm(site: Site, at: datetime) -> str:
    return at.astimezone(site.tz).strftime("%H:%M")


def _stops(site: Site, info: p.TicketInfo | None, lang: str, now: datetime) -> tuple[StopLine, ...]:
    if info is None:
        return ()
    today = now.astimezone(site.tz).date()
    out = []
    for s in info.stops:
        local = s.slot.astimezone(site.tz) if s.slot else None
        agency = site.agency(s.agency).short
        out.append(StopLine(service=_target(agency, service_name(site, s.service, lang)), agency=agency,
                            time=local.strftime("%H:%M") if local else "",
                            day=local.strftime("%d.%m.") if local and local.date() != today else "",
                            rooms=", ".join(s.rooms), status=s.status))
    return tuple(out)


def desk_view(site: Site, snap: Snapshot, counter_id: str, *, lang: str, now: datetime,
              journey: p.TicketInfo | None = None, connected: bool = True) -> DeskView:
    """The page of one counter. ``journey`` is the current client's DeskLookup answer, if it came."""
    counter = site.counter(counter_id)
    state = snap.counters.get(counter_id)
    rows = snap.tickets.tickets if snap.tickets else []
    row = snap.current_row(counter_id)
    current = None
    if row is not None:
        language = LANGUAGES.get(row.language)  # its own name, beside the name in the counsellor's language
        current = CurrentClient(
            ticket=row.id, number=row.number, status=row.status, service=service_name(site, row.service, lang),
            language=language_name(row.language, lang),
            language_native=language.native if language else row.language, language_code=row.language,
            interpreter=row.interpreter, party_size=row.party_size, step_free=row.step_free, booked=row.booked,
            since=_hhmm(site, row.arrived_at),
            documents=tuple(documents(site, [row.service], lang)),
            note=row.note,
            stops=_stops(site, journey if journey and journey.id == row.id else None, lang, now))
    waiting = tuple(
        WaitingLine(number=r.number, service=service_name(site, r.service, lang), since=_hhmm(site, r.arrived_at),
                    minutes=max(0, int((now - r.arrived_at).total_seconds() // 60)), language=r.language,
                    language_name=language_name(r.language, lang),
                    interpreter=r.interpreter)
        for r in rows if r.status == "waiting" and r.service in counter.services)
    agency = site.agency_of_counter(counter_id)
    targets = tuple((s.id, _target(site.agency(s.agency).short, service_name(site, s.id, lang))) for s in site.services)
    status = state.status if state else "closed"
    actions = ACTIONS[current.status if current else None]
    if current is None:
        actions = tuple(a for a in actions if not (a == "pause" and status == "paused")
                        and not (a == "resume" and status == "open"))
    return DeskView(counter=counter.id, label=counter.label, room=site.room(counter.room).number,
                    agency=agency.name, status=status, current=current, waiting=waiting,
                    more=snap.tickets.more if snap.tickets else 0, actions=actions, targets=targets,
                    online=connected and snap.core_online)
