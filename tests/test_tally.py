"""The daily figures from one day's events: each kind of visit counted where it belongs, by hand-played days."""

from __future__ import annotations

from datetime import timedelta

from queue_rules import events as ev
from queue_rules.figures import Figure, combine, minutes_bin
from queue_rules.tally import JourneyEnd, journey_ends, tally_day
from tests.engine_helpers import MORNING, Driver


def _by(figures: list[Figure]) -> dict[tuple[str, str, str], int]:
    return {(f.measure, f.a, f.b): f.n for f in figures}


def test_tally_counts_a_walk_in_its_wait_service_time_and_needs() -> None:
    d = Driver()
    d.check_in("aufenthalt", language="ar", party_size=8, interpreter=True, step_free=True)
    d.tick(12 * 60 + 59)
    d.counter("abh-1", "next")
    d.tick(20 * 60)
    d.counter("abh-1", "done")
    day = MORNING.astimezone(d.site.tz).date()
    got = _by(tally_day(d.site, day, d.log))
    assert got[("checkins", "09", "")] == 1  # 08:00 UTC is 09:00 in Aachen in November
    assert got[("language", "ar", "")] == 1 and got[("interpreter", "ar", "")] == 1
    assert got[("party_size", "6", "")] == 1, "eight people count as 6+"
    assert got[("step_free", "", "")] == 1
    assert got[("visits", "abh", "walk_in")] == 1
    assert got[("wait_walk_in", "abh", "12")] == 1, "12 min 59 s is 12 whole minutes"
    assert got[("service_time", "abh", "20")] == 1 and got[("served", "abh", "")] == 1
    assert not any(m == "journeys" for m, _, _ in got), "one matter is not a journey"


def test_tally_counts_a_warm_handover_and_a_referral_with_return_between_agencies() -> None:
    d = Driver()
    a = d.check_in("aufenthalt")
    d.counter("abh-1", "next")
    d.tick(600)
    d.counter("abh-1", "transfer", to_service="jobcenter", note="Arbeitserlaubnis liegt vor")
    d.tick(300)
    d.counter("jc-1", "next")
    d.tick(600)
    d.counter("jc-1", "refer", to_service="aufenthalt", note="zurück")
    d.tick(60)
    d.counter("abh-2", "next")
    d.tick(300)
    d.counter("abh-2", "done")  # the referral's leg at abh is done; he goes back to the jobcenter
    d.tick(60)
    d.counter("jc-2", "next")
    d.tick(300)
    d.counter("jc-2", "done")
    assert d.state.tickets[a.ticket].status.value == "done"
    day = MORNING.astimezone(d.site.tz).date()
    got = _by(tally_day(d.site, day, d.log))
    # abh → jc twice: the transfer (with its note) and the way back after the referral's leg
    assert got[("handover", "abh", "jc")] == 2 and got[("handover_note", "abh", "jc")] == 1
    assert got[("handover", "jc", "abh")] == 1 and got[("handover_note", "jc", "abh")] == 1
    assert got[("referral", "jc", "abh")] == 1
    assert got[("referral_returned", "jc", "abh")] == 1
    assert got[("visits", "abh", "walk_in")] == 2 and got[("visits", "jc", "walk_in")] == 2
    assert got[("served", "jc", "")] == 2 and got[("served", "abh", "")] == 2
    assert got[("journeys", "4", "one_day")] == 1, "four stops, all served the same day"
    assert got[("wait_walk_in", "jc", "5")] == 1, "the handed-over client waits from the handover"


def test_tally_a_no_show_leaves_the_journey_open_and_is_counted() -> None:
    d = Driver()
    d.check_in("aufenthalt")
    d.counter("abh-1", "next")
    d.counter("abh-1", "transfer", to_service="jobcenter")
    d.counter("jc-1", "next")
    for _ in range(d.site.policy.max_recalls + 1):
        d.counter("jc-1", "recall")
    day = MORNING.astimezone(d.site.tz).date()
    got = _by(tally_day(d.site, day, d.log))
    assert got[("no_shows", "jc", "")] == 1
    assert got[("journeys", "2", "open")] == 1


def test_tally_a_journey_over_two_days_counts_once_on_its_first_day() -> None:
    d = Driver()
    t = d.check_in("aufenthalt")
    d.log[-1] = d.log[-1].model_copy(update={"journey": "K7QM4HX"})
    d.state.tickets[t.ticket].journey = "K7QM4HX"
    d.counter("abh-1", "next")
    d.counter("abh-1", "done")
    day = MORNING.astimezone(d.site.tz).date()
    later = {"K7QM4HX": (1, 0)}
    assert _by(tally_day(d.site, day, d.log, later_stops=later))[("journeys", "2", "open")] == 1, \
        "before the second day has happened the journey is open"
    done = {"K7QM4HX": JourneyEnd(stops=1, finished=True)}
    assert _by(tally_day(d.site, day, d.log, later_stops=later, next_day=done))[("journeys", "2", "two_days")] == 1
    missed = {"K7QM4HX": JourneyEnd(stops=1, finished=False)}
    assert _by(tally_day(d.site, day, d.log, later_stops=later, next_day=missed))[("journeys", "2", "open")] == 1
    # the second day itself does not count the journey again
    nxt = Driver(now=MORNING + timedelta(days=1))
    u = nxt.check_in("jobcenter")
    nxt.log[-1] = nxt.log[-1].model_copy(update={"journey": "K7QM4HX"})
    nxt.state.tickets[u.ticket].journey = "K7QM4HX"
    nxt.counter("jc-1", "next")
    nxt.counter("jc-1", "done")
    assert journey_ends(nxt.site, nxt.log) == {"K7QM4HX": JourneyEnd(stops=1, finished=True)}
    second = _by(tally_day(nxt.site, day + timedelta(days=1), nxt.log, seen_before=frozenset({"K7QM4HX"}),
                           later_stops={"K7QM4HX": (0, 0)}))
    assert not any(m == "journeys" for m, _, _ in second)


def test_tally_an_offline_ticket_is_counted_per_kiosk_and_histograms_are_capped() -> None:
    d = Driver()
    issued = d.check_in("aufenthalt")
    d.log[-1] = issued.model_copy(update={"offline": True, "actor": "kiosk-1"})
    d.tick(11 * 3600)
    d.counter("abh-1", "next")
    day = MORNING.astimezone(d.site.tz).date()
    got = _by(tally_day(d.site, day, d.log))
    assert got[("offline_tickets", "kiosk-1", "")] == 1
    assert got[("wait_walk_in", "abh", "600")] == 1, "eleven hours are counted as the cap, 600"
    assert minutes_bin(-5) == "0"


def test_figures_combine_adds_days_up_and_drops_zeros() -> None:
    day = MORNING.date()
    rows = [Figure(day, "visits", "abh", "walk_in", 2), Figure(day, "visits", "abh", "walk_in", 3),
            Figure(day, "visits", "jc", "walk_in", 1), Figure(day, "visits", "jc", "walk_in", -1)]
    assert combine(rows) == [Figure(day, "visits", "abh", "walk_in", 5)]


def test_tally_ignores_no_event_kind_the_log_can_hold() -> None:
    """Every event type has a place in the fold (or is knowingly not counted): a new one must be looked at."""
    counted_or_known = {ev.TicketIssued, ev.TicketCalled, ev.TicketRecalled, ev.ServiceStarted, ev.TicketCompleted,
                        ev.TicketNoShow, ev.TicketParked, ev.TicketTransferred, ev.TicketReferred, ev.StopBooked,
                        ev.TicketAdvanced, ev.PlanRevised, ev.TicketReturned, ev.TicketMoved, ev.TicketCancelled,
                        ev.PriorityChanged, ev.CounterOpened, ev.CounterPaused}
    from typing import get_args

    union = get_args(get_args(ev.Event)[0])
    assert set(union) == counted_or_known, "a new event type: decide what the daily figures count of it"
