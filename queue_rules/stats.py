"""Day statistics per service, rebuilt from the event log alone: arrivals, served, no-shows, waits, service times."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import datetime

from queue_rules import events as ev
from queue_rules.site import Site
from queue_rules.state import DayState, evolve


@dataclass
class ServiceStats:
    service: str
    arrivals: int = 0
    served: int = 0
    no_shows: int = 0
    transferred_in: int = 0
    cancelled: int = 0
    waits_min: list[float] = field(default_factory=list)
    service_min: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, object]:
        out = asdict(self)
        waits, services = out.pop("waits_min"), out.pop("service_min")
        out["mean_wait_min"] = round(statistics.fmean(waits), 1) if waits else None
        out["max_wait_min"] = round(max(waits), 1) if waits else None
        out["mean_service_min"] = round(statistics.fmean(services), 1) if services else None
        return out


def day_stats(site: Site, events: list[ev.Event]) -> list[dict[str, object]]:
    """Replay one day's events and count what happened at each service."""
    state = DayState(tz=site.tz, estimate_window=site.policy.estimate_window)
    per = {s.id: ServiceStats(s.id) for s in site.services}
    waiting_since: dict[str, datetime] = {}
    for e in events:
        ticket = state.tickets.get(getattr(e, "ticket", ""))
        service = ticket.service if ticket else None
        if isinstance(e, ev.TicketIssued):
            per[e.service].arrivals += 1
            waiting_since[e.ticket] = e.order_at if e.slot is None else max(e.eligible_at, e.at)
        elif isinstance(e, ev.TicketCalled) and service and e.ticket in waiting_since:
            per[service].waits_min.append((e.at - waiting_since.pop(e.ticket)).total_seconds() / 60)
        elif isinstance(e, ev.TicketCompleted) and ticket and service:
            began = ticket.started_at or ticket.called_at
            per[service].served += 1
            if began:
                per[service].service_min.append((e.at - began).total_seconds() / 60)
        elif isinstance(e, ev.TicketNoShow) and service:
            per[service].no_shows += 1
        elif isinstance(e, ev.TicketCancelled) and service:
            per[service].cancelled += 1
        elif isinstance(e, ev.TicketTransferred):
            per[e.to_service].transferred_in += 1
            waiting_since[e.ticket] = e.at
        elif isinstance(e, ev.TicketReturned):
            waiting_since[e.ticket] = e.at
        evolve(state, e)
    return [s.summary() for s in per.values()]
