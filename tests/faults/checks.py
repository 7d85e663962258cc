"""What every fault scenario checks afterwards: the event log read back, folded, compared with the published state."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import queue_protocol as p
from queue_core.store import Store
from queue_rules import events as ev
from queue_rules import views
from queue_rules.site import Site
from queue_rules.state import DayState, evolve

from .clients import FaultClient


@dataclass
class Log:
    """The stored event log of a run, indexed the way the checks ask."""

    events: list[tuple[str | None, ev.Event]] = field(default_factory=list)   # (command key, event)

    @classmethod
    def read(cls, store: Store) -> Log:
        rows = store.event_rows()
        return cls([(r.command_key, ev.event_from_json(r.data)) for r in rows])

    def of(self, kind: type[ev.Event]) -> list[tuple[str | None, Any]]:
        return [(k, e) for k, e in self.events if isinstance(e, kind)]

    def issued_by_key(self) -> dict[str | None, list[ev.TicketIssued]]:
        out: dict[str | None, list[ev.TicketIssued]] = defaultdict(list)
        for key, e in self.of(ev.TicketIssued):
            out[key].append(e)
        return out

    def cancelled(self) -> set[str]:
        return {e.ticket for _, e in self.of(ev.TicketCancelled)}

    def called(self) -> list[ev.TicketCalled]:
        return [e for _, e in self.of(ev.TicketCalled)]

    def numbers(self) -> dict[str, str]:
        """Ticket id -> number."""
        return {e.ticket: e.number for _, e in self.of(ev.TicketIssued)}

    def repeated_effects(self) -> list[tuple[str, str, str]]:
        """(command key, event type, ticket) that one command caused more than once: a command applied twice."""
        seen = Counter((k, e.type, getattr(e, "ticket", "")) for k, e in self.events if k is not None)
        return [key for key, n in seen.items() if n > 1]


def duplicate_numbers(log: Log) -> list[str]:
    """Numbers issued to more than one ticket the same day."""
    counts = Counter((e.at.date(), e.number) for _, e in log.of(ev.TicketIssued))
    return sorted(number for (_, number), n in counts.items() if n > 1)


def called_twice(log: Log) -> list[str]:
    """Tickets called (not recalled) more than once: with no transfers or returns in a rush, nobody may be."""
    counts = Counter(e.ticket for e in log.called())
    numbers = log.numbers()
    return sorted(numbers.get(t, t) for t, n in counts.items() if n > 1)


def fold(store: Store, site: Site) -> DayState:
    """The state a core rebuilt from the whole log would have."""
    state = DayState(tz=site.tz, estimate_window=site.policy.estimate_window)
    for e in store.events():
        evolve(state, e)
    return state


def wait_quiet(client: FaultClient, quiet_s: float = 1.5, timeout: float = 30) -> None:
    """Until `client` has received nothing for `quiet_s` (the core's last coalesced flush has come)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with client.cv:
            last = client.log[-1][0] if client.log else 0.0
        if time.monotonic() - last >= quiet_s:
            return
        time.sleep(0.2)
    raise AssertionError(f"{client.name}: still receiving after {timeout} s")


def retained_state(host: str, port: int, site: Site) -> dict[str, dict[str, Any]]:
    """What a device that connects now gets: every retained board, queue, counter and reception-list message."""
    t = p.Topics(site.site.id)
    wanted = {t.board(), t.tickets(), *(t.queue(s.id) for s in site.services),
              *(t.counter_state(c.id) for c in site.counters)}
    late = FaultClient(host, port, site.site.id, "late-display", sorted(wanted))
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not wanted <= set(late.received):
            time.sleep(0.05)
        missing = wanted - set(late.received)
        assert not missing, f"no retained message on {sorted(missing)}"
        return {topic: late.received[topic][-1] for topic in wanted}
    finally:
        late.close()


def _without_time(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "at"}


def expected_retained(state: DayState, site: Site, now: datetime) -> dict[str, dict[str, Any]]:
    """The retained messages the folded state makes at `now`, as the core would publish them (times left out)."""
    t = p.Topics(site.site.id)
    out: dict[str, p.Payload] = {t.board(): views.board_state(state, site, now),
                                 t.tickets(): views.ticket_list(state, now)}
    out.update({t.queue(s.id): views.queue_state(state, site, s.id, now) for s in site.services})
    out.update({t.counter_state(c.id): views.counter_state(state, site, c.id, now) for c in site.counters})
    return {topic: _without_time(json.loads(payload.to_bytes())) for topic, payload in out.items()}


def differences(state: DayState, site: Site, published: dict[str, dict[str, Any]], now: datetime) -> list[str]:
    """Where the published retained state differs from the fold of the log at the core's `now` (empty: agree)."""
    expected = expected_retained(state, site, now)
    out = []
    for topic in sorted(expected):
        got = _without_time(published[topic])
        if got != expected[topic]:
            out.append(f"{topic}:\n  published {json.dumps(got, sort_keys=True)[:600]}\n"
                       f"  log folds {json.dumps(expected[topic], sort_keys=True)[:600]}")
    return out


def core_problems(log_text: str) -> list[str]:
    """Lines of a core's log that say it hit a bug (a worker error, an internal error)."""
    return [line for line in log_text.splitlines() if "worker error" in line or "internal error" in line
            or "Traceback" in line]
