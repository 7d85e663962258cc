"""Pure functions from engine state to protocol payloads; the public ones carry numbers, rooms and counts only."""

from __future__ import annotations

import heapq
from datetime import datetime

import queue_protocol as p
from queue_rules import engine
from queue_rules.site import Site
from queue_rules.state import ACTIVE, CounterStatus, DayState, Ticket, TicketStatus

MAX_TICKET_ROWS = 150  # keeps the retained list well under the broker's packet limit
OPEN_STATUSES = (TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING,
                 TicketStatus.PARKED, TicketStatus.NO_SHOW)


def board_call(site: Site, number: str, counter_id: str, at: datetime) -> p.BoardCall:
    counter = site.counter(counter_id)
    room = site.room(counter.room)
    agency = site.agency_of_service(counter.services[0])
    return p.BoardCall(number=number, counter=counter.id, counter_label=counter.label, room=room.number,
                       floor=room.floor, agency=agency.short, at=at)


def ticket_called(site: Site, t: Ticket, counter_id: str, at: datetime, recall: bool) -> p.TicketCalled:
    call = board_call(site, t.number, counter_id, at)
    return p.TicketCalled(recall=recall, **call.model_dump())


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
    return p.BoardState(current=current, recent=recent, queues=queues, at=now)


def ticket_list(state: DayState, now: datetime) -> p.TicketList:
    open_tickets = [t for t in state.tickets.values() if t.status in OPEN_STATUSES]
    shown = heapq.nsmallest(MAX_TICKET_ROWS, open_tickets, key=lambda t: (t.status not in ACTIVE, t.sort_key()))
    rows = [
        p.TicketRow(id=t.id, number=t.number, service=t.service, status=t.status.value, priority=t.priority,
                    arrived_at=t.arrived_at, counter=t.counter, language=t.language, party_size=t.party_size,
                    interpreter=t.interpreter, step_free=t.step_free, booked=t.booking_code is not None,
                    note=t.note)
        for t in shown
    ]
    return p.TicketList(tickets=rows, more=max(0, len(open_tickets) - MAX_TICKET_ROWS), at=now)


def _rooms(site: Site, service_id: str) -> tuple[list[str], int]:
    rooms = list(dict.fromkeys(site.room(c.room).number for c in site.counters if service_id in c.services))
    first_room = next(site.room(c.room) for c in site.counters if service_id in c.services)
    return rooms, first_room.floor


def ticket_info(state: DayState, site: Site, t: Ticket) -> p.TicketInfo:
    """A scanned slip's ticket as the kiosk shows it: status, where to go, how many are ahead."""
    rooms, floor = _rooms(site, t.service)
    counter = site.counter(t.counter) if t.counter else None
    waiting = t.status == TicketStatus.WAITING
    ahead = state.ahead_of(t) if waiting else 0
    return p.TicketInfo(
        number=t.number, service=t.service, agency=t.agency, status=t.status.value, rooms=rooms, floor=floor,
        counter=counter.label if counter else None,
        counter_room=site.room(counter.room).number if counter else None, waiting_ahead=ahead,
        estimated_wait_min=engine.estimate_wait_minutes(state, site, t.service, ahead=ahead) if waiting else 0,
    )


def issued_ticket(state: DayState, site: Site, t: Ticket) -> p.IssuedTicket:
    """The check-in reply's ticket: what the kiosk prints on the slip."""
    service = site.service(t.service)
    rooms, floor = _rooms(site, t.service)
    ahead = state.ahead_of(t)
    return p.IssuedTicket(
        number=t.number, token=t.token, service=service.id, agency=service.agency, rooms=rooms,
        floor=floor, waiting_ahead=ahead,
        estimated_wait_min=engine.estimate_wait_minutes(state, site, t.service, ahead=ahead),
        issued_at=t.arrived_at,
    )
