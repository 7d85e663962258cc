"""A tiny driver around the pure engine for tests: decide, evolve, and remember the events."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import queue_protocol as p
from host_support.site_file import load_site
from queue_rules import engine
from queue_rules import events as ev
from queue_rules.site import Site
from queue_rules.state import DayState, evolve

if TYPE_CHECKING:
    from queue_core.store import Store

MINI = Path(__file__).parent / "sites" / "mini.toml"
# 09:00 in Aachen on a winter Tuesday.
MORNING = datetime(2026, 11, 17, 8, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand: `clock.now = ...`."""

    def __init__(self, now: datetime = MORNING):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def mini_site() -> Site:
    return load_site(MINI)


DESK_WEB = "desk-web"  # the web server of service_site(): its desk pages command every counter


def service_site() -> Site:
    """The test site with a web server, so commands to any counter have a reply topic of their sender."""
    from queue_rules.site import parse_site

    return parse_site(MINI.read_text(encoding="utf-8") + f'\n[[web]]\nid = "{DESK_WEB}"\n', "mini+desk-web")


def counter_reply(site: Site, topics: p.Topics, counter: str) -> str:
    """Where a counter command's sender reads its answer: the counter's button box, else a web server's desk."""
    box = next((b.id for b in site.button_boxes if b.counter == counter), None)
    sender = box or (site.web[0].id if site.web else None)
    assert sender is not None, f"{counter}: the site has no device that commands it"
    return topics.reply(sender)


def reply_topic(topics: p.Topics, topic: str) -> str:
    """The sender's own reply topic for a command topic: the device in it, or the desk web for a counter."""
    parsed = topics.parse(topic)
    return topics.reply(DESK_WEB if parsed.spec.name == "counter_cmd" else parsed.param or "")


@dataclass
class Driver:
    site: Site = field(default_factory=mini_site)
    now: datetime = MORNING
    log: list[ev.Event] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))  # type: ignore[type-arg]

    def __post_init__(self) -> None:
        self.state = DayState(tz=self.site.tz, estimate_window=self.site.policy.estimate_window)

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def apply(self, events: list[ev.Event]) -> list[ev.Event]:
        for e in events:
            evolve(self.state, e)
            self.log.append(e)
        return events

    def check_in(self, service: str, **kw: Any) -> ev.TicketIssued:
        n = next(self.ids)
        arrival = engine.Arrival(ticket=f"t{n}", token=f"tok{n}", service=service, **{"language": "de", **kw})
        issued = engine.check_in(self.state, self.site, arrival, now=self.now, actor="kiosk-1")
        self.apply([issued])
        return issued

    def counter(self, counter: str, action: p.CounterAction, **kw: Any) -> list[ev.Event]:
        return self.apply(engine.counter_action(
            self.state, self.site, counter, action, now=self.now, actor=counter, **kw))

    def reception(self, ticket: str, action: p.ReceptionAction, **kw: Any) -> list[ev.Event]:
        return self.apply(engine.reception_action(
            self.state, self.site, ticket, action, now=self.now, actor="reception", **kw))

    def called_number(self, events: list[ev.Event]) -> str | None:
        for e in events:
            if isinstance(e, ev.TicketCalled):
                return self.state.tickets[e.ticket].number
        return None

    def replayed(self) -> DayState:
        fresh = DayState(tz=self.site.tz, estimate_window=self.site.policy.estimate_window)
        for e in self.log:
            evolve(fresh, e)
        return fresh


def book(store: Store, site: Site, service: str, slot: datetime, *, minutes: int = 30, language: str = "de",
         party_size: int = 1, interpreter: bool = False, step_free: bool = False, journey_ref: str | None = None,
         ref: str | None = None) -> str:
    """Store one booking as an import would; returns its journey's booking code."""
    from queue_core.store import BookingInput

    summary = store.import_bookings([BookingInput(
        agency=site.service(service).agency, service=service, slot=slot, minutes=minutes, language=language,
        party_size=party_size, interpreter=interpreter, step_free=step_free, journey_ref=journey_ref,
        ref=ref or f"test-{service}-{slot:%H%M}-{journey_ref or ''}")])
    return summary.journeys[0]


def unknown_code(n: int) -> str:
    """A well-formed booking code (its check character fits) that nobody was given, for guessing tests."""
    import random

    from queue_rules import codes

    return codes.new_code(random.Random(f"unknown-{n}").randrange)
