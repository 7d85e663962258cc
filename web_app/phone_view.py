"""What a client's phone page shows, as plain data: his number, how many are ahead, his journey, and his call.

Built from the core's TicketInfo (the same answer a kiosk gets for a scanned slip) and, the moment a number is
called, from the public call itself, so "your turn" does not wait for another question to the core.
Nothing here names the client: the core knows no names, and the page shows numbers, rooms and times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import queue_protocol as p
from queue_rules.site import Site

from .texts import directions, documents, floor_of, service_name


@dataclass(frozen=True)
class PhoneStop:
    service: str
    agency: str
    time: str          # "10:30", or "" for a walk-in stop
    day: str           # "" today, else "03.12."
    rooms: str
    floor: int
    directions: str
    status: str
    current: bool


@dataclass(frozen=True)
class PhoneView:
    number: str
    state: str                     # waiting, later, called, serving, missed, parked, closed
    service: str
    ahead: int
    wait_min: int
    later_from: str                # "10:45": queued from then on (a booked stop later today)
    room: str                      # called: the counter's room, else the service's rooms
    counter: str                   # called: the counter's label
    floor: int | None
    directions: str
    stops: tuple[PhoneStop, ...]
    documents: tuple[str, ...]


def phone_view(site: Site, info: p.TicketInfo, lang: str, now: datetime,
               call: p.TicketCalled | None = None) -> PhoneView:
    """The page for a ticket as the core last described it; ``call`` is a public call of its number since then."""
    local_today = now.astimezone(site.tz).date()
    state = {"waiting": "waiting", "called": "called", "serving": "serving", "no_show": "missed",
             "parked": "parked"}.get(info.status, "closed")
    if state == "waiting" and info.queued_from is not None and info.queued_from > now:
        state = "later"
    rooms, counter = list(info.rooms), ""
    if call is not None and state in ("waiting", "later", "parked", "missed"):
        state = "called"   # the call came after the last answer: believe the call
    if state in ("called", "serving"):
        if call is not None:
            rooms, counter = [call.room], call.counter_label
        elif info.counter_room:
            rooms, counter = [info.counter_room], info.counter or ""
    stops = []
    for s in info.stops:
        local = s.slot.astimezone(site.tz) if s.slot else None
        stops.append(PhoneStop(
            service=service_name(site, s.service, lang), agency=site.agency(s.agency).name,
            time=local.strftime("%H:%M") if local else "",
            day=local.strftime("%d.%m.") if local and local.date() != local_today else "",
            rooms=", ".join(s.rooms), floor=s.floor, directions=directions(site, s.rooms, lang), status=s.status,
            current=s.status in ("waiting", "called", "serving")))
    ahead_services = [s.service for s in info.stops if s.status in ("planned", "waiting", "called", "serving")]
    return PhoneView(
        number=info.number, state=state, service=service_name(site, info.service, lang),
        ahead=info.waiting_ahead, wait_min=info.estimated_wait_min,
        later_from=info.queued_from.astimezone(site.tz).strftime("%H:%M") if state == "later" and info.queued_from
        else "",
        room=", ".join(rooms), counter=counter, floor=floor_of(site, rooms), directions=directions(site, rooms, lang),
        stops=tuple(stops), documents=tuple(documents(site, ahead_services or [info.service], lang)))
