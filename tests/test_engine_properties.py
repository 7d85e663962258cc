"""Property-based tests (hypothesis): the queue's invariants hold for any sequence of commands."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import queue_protocol as p
from queue_rules import events as ev
from queue_rules.engine import Rejected
from queue_rules.site import Site
from queue_rules.state import ACTIVE, Ticket, TicketStatus

from .engine_helpers import Driver

SERVICES = ["aufenthalt", "jobcenter", "leistung"]
COUNTERS = ["abh-1", "abh-2", "jc-1", "jc-2"]
ACTIONS = ["next", "recall", "start", "done", "no_show", "park", "pause", "resume"]


def journey_deadline(site: Site, t: Ticket) -> datetime | None:
    """Independent of the engine: at the booked slot of a stop (unless he came too late for it), and by the next
    booked stop's slot less this service's typical time and the lead, for a visit with two booked stops today."""
    booked = [s.slot for s in t.stops if s.slot is not None] + [s.slot for s in t.plan if s.slot is not None]
    if len(booked) < 2 and not t.plan:
        return None
    candidates = []
    if t.stops[-1].slot is not None and len(booked) >= 2 and t.order_at <= t.stops[-1].slot:
        candidates.append(t.stops[-1].slot)
    if t.plan and t.plan[0].slot is not None:
        lead = site.service(t.service).minutes + site.policy.journey_lead_minutes
        candidates.append(t.plan[0].slot - timedelta(minutes=lead))
    return min(candidates) if candidates else None


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.d = Driver()
        self.checked_in = 0

    @rule(service=st.sampled_from(SERVICES), priority=st.sampled_from([0, 0, 0, 3]),
          booked_in=st.one_of(st.none(), st.integers(min_value=-30, max_value=90)))
    def check_in(self, service: str, priority: int, booked_in: int | None) -> None:
        slot = None if booked_in is None else self.d.now + timedelta(minutes=booked_in)
        self.d.check_in(service, priority=priority, slot=slot, booking_code=None if slot is None else "B")
        self.checked_in += 1

    @rule(first=st.sampled_from(SERVICES), then=st.sampled_from(SERVICES),
          slot_in=st.integers(min_value=-30, max_value=60), gap=st.integers(min_value=0, max_value=90))
    def check_in_journey(self, first: str, then: str, slot_in: int, gap: int) -> None:
        """A journey of two booked stops today: called at its slot and in time for the next stop."""
        slot = self.d.now + timedelta(minutes=slot_in)
        nxt = ev.PlanStop(service=then, slot=slot + timedelta(minutes=gap), minutes=20)
        self.d.check_in(first, slot=slot, booking_code="J", journey="J", plan=(nxt,))
        self.checked_in += 1

    @rule(seconds=st.sampled_from([0.2, 1.0, 30, 300, 1800]))
    def wait(self, seconds: float) -> None:
        self.d.tick(seconds)

    @rule(counter=st.sampled_from(COUNTERS), action=st.sampled_from(ACTIONS))
    def counter_action(self, counter: str, action: p.CounterAction) -> None:
        d = self.d
        services = d.site.counter(counter).services
        # an independent oracle: eligible waiting clients of this counter, best first
        eligible = [
            t for t in d.state.tickets.values()
            if t.status is TicketStatus.WAITING and t.service in services and t.eligible_at <= d.now
        ]
        expected = min(eligible, key=lambda t: (-t.priority, t.order_at, t.issue_order), default=None)
        # the journey rule, as docs/bookings.md states it: a journey client whose deadline has come goes before
        # everybody of his priority (or lower); the earliest deadline first
        due = [(t, when) for t in eligible if (when := journey_deadline(d.site, t)) is not None and when <= d.now]
        if due and expected is not None:
            urgent, _ = min(due, key=lambda x: (-x[0].priority, x[1], x[0].order_at, x[0].issue_order))
            if urgent.priority >= expected.priority:
                expected = urgent
        before = d.state.counters.get(counter)
        current_before = before.ticket if before else None
        try:
            events = d.counter(counter, action)
        except Rejected:
            return
        called = [e for e in events if isinstance(e, ev.TicketCalled)]
        if action == "next" and events == [] and current_before is not None:
            # the guard kept the same client called: nobody skipped
            assert d.state.counters[counter].ticket == current_before
        for e in called:
            # never skip: the called client is the best eligible one at that moment
            assert expected is not None and e.ticket == expected.id

    @rule(counter=st.sampled_from(COUNTERS), to=st.sampled_from(SERVICES))
    def transfer(self, counter: str, to: str) -> None:
        try:
            self.d.counter(counter, "transfer", to_service=to, note="n")
        except Rejected:
            pass

    @rule(data=st.data(), action=st.sampled_from(["return", "cancel", "priority", "move"]))
    def reception(self, data: st.DataObject, action: p.ReceptionAction) -> None:
        if not self.d.state.tickets:
            return
        ticket = data.draw(st.sampled_from(sorted(self.d.state.tickets)))
        try:
            self.d.reception(ticket, action, priority=2, to_service="leistung")
        except Rejected:
            pass

    @invariant()
    def one_counter_per_called_client(self) -> None:
        state = self.d.state
        holders = Counter(c.ticket for c in state.counters.values() if c.ticket)
        assert all(n == 1 for n in holders.values())
        for c in state.counters.values():
            if c.ticket:
                t = state.tickets[c.ticket]
                assert t.status in ACTIVE and t.counter == c.id
        for t in state.tickets.values():
            if t.status in ACTIVE:
                assert t.counter is not None and state.counters[t.counter].ticket == t.id

    @invariant()
    def no_ticket_lost_or_duplicated(self) -> None:
        state = self.d.state
        assert len(state.tickets) == self.checked_in
        numbers = [t.number for t in state.tickets.values()]
        assert len(numbers) == len(set(numbers))
        waiting = {t.id for t in state.tickets.values() if t.status is TicketStatus.WAITING}
        indexed = {i for line in state.waiting_ids.values() for _, i in line}
        assert waiting == indexed

    def teardown(self) -> None:
        fresh = self.d.replayed()
        assert fresh.tickets == self.d.state.tickets
        assert fresh.counters == self.d.state.counters


QueueMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=60, deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestQueueMachine = QueueMachine.TestCase
