"""Pure functions from engine state to protocol payloads; the public ones carry numbers, rooms and counts only."""

from __future__ import annotations

import heapq
from datetime import datetime, timedelta

import queue_protocol as p
from queue_rules import engine
from queue_rules.journeys import BookedStop
from queue_rules.site import Site
from queue_rules.state import ACTIVE, CounterStatus, DayState, Ticket, TicketStatus

MAX_TICKET_ROWS = 150  # rows in reception's list at most
TICKET_LIST_BYTES = 56_000  # and bytes: under the core's 60 000-byte publish limit (the broker's packet size)
LIST_OVERHEAD = 200  # the list's own fields around its rows
NOTE_PREVIEW = 120  # characters of a note kept in the list when the whole list would not fit
MAX_LATER = 10
_STOP_STATUS: dict[TicketStatus, p.StopStatus] = {
    TicketStatus.WAITING: "waiting", TicketStatus.CALLED: "called", TicketStatus.SERVING: "serving",
    TicketStatus.DONE: "done", TicketStatus.TRANSFERRED: "done", TicketStatus.NO_SHOW: "missed",
    TicketStatus.PARKED: "waiting", TicketStatus.CANCELLED: "cancelled",
}


def board_call(site: Site, number: str, counter_id: str, at: datetime) -> p.BoardCall:
    counter = site.counter(counter_id)
    room = site.room(counter.room)
    agency = site.agency_of_service(counter.services[0])
    return p.BoardCall(number=number, counter=counter.id, counter_label=counter.label, room=room.number,
                       floor=room.floor, agency=agency.short, at=at)


def ticket_called(site: Site, t: Ticket, counter_id: str, at: datetime, recall: bool) -> p.TicketCalled:
    call = board_call(site, t.number, counter_id, at)
    # the language goes public only when the client chose it, and not for German (every call is said in German)
    spoken = t.announce and t.language != "de"
    return p.TicketCalled(recall=recall, announce=t.language if spoken else None, **call.model_dump())


def queue_state(state: DayState, site: Site, service_id: str, now: datetime) -> p.QueueState:
    svc = site.service(service_id)
    open_counters = sum(
        1 for c in site.counters
        if service_id in c.services and (cs := state.counters.get(c.id)) is not None and cs.status is CounterStatus.OPEN
    )
    return p.QueueState(service=svc.id, agency=svc.agency, service_name=svc.name,
                        waiting=state.waiting_count(service_id),
                        estimated_wait_min=engine.estimate_wait_minutes(state, site, service_id),
                        open_counters=open_counters, at=now)


def counter_state(state: DayState, site: Site, counter_id: str, now: datetime) -> p.CounterState:
    counter = site.counter(counter_id)
    cs = state.counters.get(counter_id)
    number = state.tickets[cs.ticket].number if cs and cs.ticket else None
    waiting = sum(state.waiting_count(s) for s in counter.services)
    return p.CounterState(counter=counter.id, label=counter.label, room=site.room(counter.room).number,
                          status=(cs.status.value if cs else "closed"), number=number, waiting=waiting, at=now)


def board_state(state: DayState, site: Site, now: datetime) -> p.BoardState:
    current = []
    for cs in state.counters.values():
        if cs.ticket and cs.called_at is not None:
            t = state.tickets[cs.ticket]
            if t.status in ACTIVE:
                current.append(board_call(site, t.number, cs.id, cs.called_at))
    current.sort(key=lambda c: c.at, reverse=True)
    recent = [board_call(site, number, counter, at) for number, counter, at in list(state.recent_calls)[:10]]
    queues = [
        p.BoardQueue(service=s.id, agency=s.agency, waiting=state.waiting_count(s.id),
                     estimated_wait_min=engine.estimate_wait_minutes(state, site, s.id))
        for s in site.services
    ]
    return p.BoardState(current=current, recent=recent, queues=queues, later=board_later(state, site, now), at=now)


def board_later(state: DayState, site: Site, now: datetime) -> list[p.BoardLater]:
    """Numbers waiting for a later time at a room (a journey's next booked stop, an early booked client)."""
    later = heapq.nsmallest(MAX_LATER, (t for s in state.waiting_ids.values() for _, i in s
                                        if (t := state.tickets[i]).eligible_at > now), key=lambda t: t.eligible_at)
    out = []
    for t in later:
        counter = next(c for c in site.counters if t.service in c.services)
        room = site.room(counter.room)
        out.append(p.BoardLater(number=t.number, room=room.number, floor=room.floor,
                                agency=site.agency_of_service(t.service).short, at=t.eligible_at))
    return out


def ticket_list(state: DayState, now: datetime, budget: int = TICKET_LIST_BYTES) -> p.TicketList:
    """Reception's list, never over `budget` bytes as JSON (a list over the broker's packet limit would silently
    stop updating): long notes are shortened first (`note_cut`), then the last rows go into `more`."""
    open_tickets = [state.tickets[i] for i in state.open_ids]  # an index, not a scan of the whole day
    shown = heapq.nsmallest(MAX_TICKET_ROWS, open_tickets, key=lambda t: (t.status not in ACTIVE, t.sort_key()))
    rows = [
        p.TicketRow(id=t.id, number=t.number, service=t.service, status=t.status.value, priority=t.priority,
                    arrived_at=t.arrived_at, counter=t.counter, language=t.language, party_size=t.party_size,
                    interpreter=t.interpreter, step_free=t.step_free, booked=t.booking_code is not None,
                    note=t.note, journey_stops=len(t.plan), missed=t.missed, see_reception=t.see_reception)
        for t in shown
    ]
    sizes = [len(r.model_dump_json(exclude_none=True).encode()) + 1 for r in rows]
    if sum(sizes) > budget - LIST_OVERHEAD:
        for i, r in enumerate(rows):
            if len(r.note) > NOTE_PREVIEW:
                rows[i] = r.model_copy(update={"note": r.note[:NOTE_PREVIEW - 1].rstrip() + "…", "note_cut": True})
                sizes[i] = len(rows[i].model_dump_json(exclude_none=True).encode()) + 1
        while rows and sum(sizes) > budget - LIST_OVERHEAD:
            rows.pop()
            sizes.pop()
    return p.TicketList(tickets=rows, more=len(open_tickets) - len(rows), at=now)


def _rooms(site: Site, service_id: str) -> tuple[list[str], int]:
    rooms = list(dict.fromkeys(site.room(c.room).number for c in site.counters if service_id in c.services))
    first_room = next(site.room(c.room) for c in site.counters if service_id in c.services)
    return rooms, first_room.floor


def _stop(site: Site, service: str, slot: datetime | None, minutes: int, status: p.StopStatus,
          queued_from: datetime | None) -> p.JourneyStop:
    rooms, floor = _rooms(site, service)
    return p.JourneyStop(service=service, agency=site.service(service).agency, slot=slot, minutes=minutes,
                         status=status, rooms=rooms, floor=floor, queued_from=queued_from)


def journey_stops(site: Site, t: Ticket, later_days: tuple[BookedStop, ...] = ()) -> list[p.JourneyStop]:
    """A visit's stops in order: those of today so far, the planned rest of today, then later days' bookings.

    Empty for a visit with one stop and nothing planned (a plain walk-in or a single booking).
    """
    if not t.plan and not later_days and len({s.service for s in t.stops}) == 1:
        return []
    out: list[p.JourneyStop] = []
    for i, stop in enumerate(t.stops):
        if i + 1 < len(t.stops) and t.stops[i + 1].service == stop.service:
            continue  # a return to the same desk: one stop
        current = i == len(t.stops) - 1
        out.append(_stop(site, stop.service, stop.slot, stop.minutes, _STOP_STATUS[stop.status],
                         t.eligible_at if current and stop.status is TicketStatus.WAITING else None))
    for planned in t.plan:
        queued = (planned.slot - timedelta(minutes=site.early_minutes(planned.service))) if planned.slot else None
        out.append(_stop(site, planned.service, planned.slot, planned.minutes, "planned", queued))
    out.extend(_stop(site, b.service, b.slot, b.minutes, "planned", None) for b in later_days)
    return out


def ticket_info(state: DayState, site: Site, t: Ticket, later_days: tuple[BookedStop, ...] = ()) -> p.TicketInfo:
    """A scanned slip's ticket as the kiosk shows it: status, where to go, how many are ahead."""
    rooms, floor = _rooms(site, t.service)
    counter = site.counter(t.counter) if t.counter else None
    waiting = t.status == TicketStatus.WAITING
    ahead = state.ahead_of(t) if waiting else 0
    return p.TicketInfo(
        id=t.id, language=t.language, number=t.number, service=t.service, agency=t.agency, status=t.status.value,
        rooms=rooms, floor=floor,
        counter=counter.label if counter else None,
        counter_room=site.room(counter.room).number if counter else None, waiting_ahead=ahead,
        estimated_wait_min=engine.estimate_wait_minutes(state, site, t.service, ahead=ahead) if waiting else 0,
        queued_from=t.eligible_at if waiting and t.eligible_at > t.arrived_at else None,
        stops=journey_stops(site, t, later_days),
    )


def issued_ticket(state: DayState, site: Site, t: Ticket,
                  later_days: tuple[BookedStop, ...] = ()) -> p.IssuedTicket:
    """The check-in reply's ticket: what the kiosk prints on the slip."""
    service = site.service(t.service)
    rooms, floor = _rooms(site, t.service)
    ahead = state.ahead_of(t)
    return p.IssuedTicket(
        number=t.number, token=t.token, service=service.id, agency=service.agency, rooms=rooms,
        floor=floor, waiting_ahead=ahead,
        estimated_wait_min=engine.estimate_wait_minutes(state, site, t.service, ahead=ahead),
        issued_at=t.arrived_at,
        queued_from=t.eligible_at if t.eligible_at > t.arrived_at else None,
        see_reception=t.see_reception, stops=journey_stops(site, t, later_days),
    )
