"""Unit tests of the pure queue engine: numbering, ordering, counter actions, reception actions, estimates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from queue_rules import engine
from queue_rules import events as ev
from queue_rules.engine import Rejected
from queue_rules.state import CounterStatus, TicketStatus

from .engine_helpers import MINI, Driver


def test_numbers_count_per_agency_prefix() -> None:
    d = Driver()
    assert d.check_in("aufenthalt").number == "A-001"
    assert d.check_in("jobcenter").number == "J-001"
    assert d.check_in("leistung").number == "J-002"
    assert d.check_in("aufenthalt").number == "A-002"


def test_numbers_restart_at_local_midnight_across_dst_change() -> None:
    # 2026-10-25: clocks go back in Germany. 22:30 UTC on the 24th is 00:30 CEST on the 25th.
    d = Driver(now=datetime(2026, 10, 24, 21, 50, tzinfo=UTC))  # 23:50 local
    assert d.check_in("jobcenter").number == "J-001"
    assert d.check_in("jobcenter").number == "J-002"
    d.now = datetime(2026, 10, 24, 22, 5, tzinfo=UTC)  # 00:05 local on the 25th
    assert d.check_in("jobcenter").number == "J-001"
    d.now = datetime(2026, 10, 25, 22, 59, tzinfo=UTC)  # 23:59 CET, still the 25th
    assert d.check_in("jobcenter").number == "J-002"
    d.now = datetime(2026, 10, 25, 23, 0, tzinfo=UTC)  # 00:00 CET on the 26th
    assert d.check_in("jobcenter").number == "J-001"


def test_numbers_skip_the_kiosks_offline_block() -> None:
    d = Driver()
    d.state.last_seq["abh"] = 899
    d.state.day = d.now.astimezone(d.site.tz).date()
    assert d.check_in("aufenthalt").number == "A-950"


def test_walk_ins_are_called_first_come_first_served() -> None:
    d = Driver()
    first = d.check_in("aufenthalt")
    d.tick(60)
    d.check_in("aufenthalt")
    assert d.called_number(d.counter("abh-1", "next")) == first.number


def test_priority_goes_first() -> None:
    d = Driver()
    d.check_in("aufenthalt")
    d.tick(60)
    urgent = d.check_in("aufenthalt", priority=5)
    assert d.called_number(d.counter("abh-1", "next")) == urgent.number


def test_booking_is_eligible_only_shortly_before_its_slot() -> None:
    d = Driver()
    booked = d.check_in("aufenthalt", slot=d.now + timedelta(minutes=30), booking_code="B1")
    events = d.counter("abh-1", "next")
    assert d.called_number(events) is None  # 30 minutes early, window is 10
    d.tick(21 * 60)
    walk_in = d.check_in("aufenthalt")
    assert d.called_number(d.counter("abh-1", "next")) == booked.number
    assert d.called_number(d.counter("abh-2", "next")) == walk_in.number


def test_counter_with_two_services_calls_the_longest_waiting() -> None:
    d = Driver()
    older = d.check_in("leistung")
    d.tick(30)
    d.check_in("jobcenter")
    assert d.called_number(d.counter("jc-1", "next")) == older.number


def test_no_client_is_called_at_two_counters() -> None:
    d = Driver()
    only = d.check_in("jobcenter")
    assert d.called_number(d.counter("jc-1", "next")) == only.number
    assert d.called_number(d.counter("jc-2", "next")) is None


def test_double_press_next_does_not_skip_the_called_client() -> None:
    d = Driver()
    a = d.check_in("aufenthalt")
    d.check_in("aufenthalt")
    d.counter("abh-1", "next")
    d.tick(0.4)
    assert d.counter("abh-1", "next") == []
    assert d.state.tickets[a.ticket].status is TicketStatus.CALLED


def test_next_after_the_guard_completes_the_current_and_calls_the_next() -> None:
    d = Driver()
    a = d.check_in("aufenthalt")
    b = d.check_in("aufenthalt")
    d.counter("abh-1", "next")
    d.tick(300)
    events = d.counter("abh-1", "next")
    assert d.called_number(events) == b.number
    assert d.state.tickets[a.ticket].status is TicketStatus.DONE


def test_recalls_then_no_show_after_the_configured_number() -> None:
    d = Driver()
    a = d.check_in("aufenthalt")
    d.counter("abh-1", "next")
    assert isinstance(d.counter("abh-1", "recall")[0], ev.TicketRecalled)
    assert isinstance(d.counter("abh-1", "recall")[0], ev.TicketRecalled)
    assert isinstance(d.counter("abh-1", "recall")[0], ev.TicketNoShow)
    assert d.state.tickets[a.ticket].status is TicketStatus.NO_SHOW
    assert d.state.counters["abh-1"].ticket is None


def test_returned_no_show_waits_at_the_original_place() -> None:
    d = Driver()
    a = d.check_in("aufenthalt")
    d.tick(60)
    b = d.check_in("aufenthalt")
    d.counter("abh-1", "next")
    d.counter("abh-1", "no_show")
    d.reception(a.ticket, "return")
    d.tick(300)
    assert d.called_number(d.counter("abh-1", "next")) == a.number
    assert d.state.tickets[b.ticket].status is TicketStatus.WAITING


def test_transfer_keeps_arrival_time_and_carries_the_note() -> None:
    d = Driver()
    early = d.check_in("aufenthalt")
    d.tick(600)
    d.check_in("jobcenter")  # arrived later than `early`
    d.counter("abh-1", "next")
    d.counter("abh-1", "start")
    d.tick(600)
    d.counter("abh-1", "transfer", to_service="jobcenter", note="Arbeitserlaubnis erteilt, bitte ALG II")
    t = d.state.tickets[early.ticket]
    assert t.status is TicketStatus.WAITING and t.service == "jobcenter"
    assert t.note.startswith("Arbeitserlaubnis")
    assert [s.status for s in t.stops] == [TicketStatus.TRANSFERRED, TicketStatus.WAITING]
    assert d.called_number(d.counter("jc-2", "next")) == early.number  # same number, original place


def test_counter_commands_in_the_wrong_state_are_rejected() -> None:
    d = Driver()
    with pytest.raises(Rejected) as exc:
        d.counter("abh-1", "done")
    assert exc.value.code == "no_current_ticket"
    with pytest.raises(Rejected) as exc:
        d.counter("nowhere", "next")
    assert exc.value.code == "unknown_device"
    d.check_in("aufenthalt")
    d.counter("abh-1", "next")
    d.counter("abh-1", "start")
    with pytest.raises(Rejected) as exc:
        d.counter("abh-1", "no_show")
    assert exc.value.code == "wrong_state"
    with pytest.raises(Rejected):
        d.counter("abh-1", "pause")
    with pytest.raises(Rejected) as exc:
        d.counter("abh-1", "transfer", to_service="nope")
    assert exc.value.code == "unknown_service"


def test_pause_and_resume() -> None:
    d = Driver()
    d.counter("abh-1", "resume")
    assert d.state.counters["abh-1"].status is CounterStatus.OPEN
    d.counter("abh-1", "pause")
    assert d.state.counters["abh-1"].status is CounterStatus.PAUSED
    assert d.counter("abh-1", "pause") == []
    d.check_in("aufenthalt")
    d.counter("abh-1", "next")  # next opens a paused counter
    assert d.state.counters["abh-1"].status is CounterStatus.OPEN


def test_reception_move_priority_cancel() -> None:
    d = Driver()
    a = d.check_in("aufenthalt")
    b = d.check_in("aufenthalt")
    d.reception(b.ticket, "priority", priority=3)
    assert d.called_number(d.counter("abh-1", "next")) == b.number
    d.reception(a.ticket, "move", to_service="jobcenter")
    assert d.state.tickets[a.ticket].service == "jobcenter"
    d.reception(a.ticket, "cancel", reason="left")
    assert d.state.tickets[a.ticket].status is TicketStatus.CANCELLED
    with pytest.raises(Rejected):
        d.reception(a.ticket, "cancel")
    with pytest.raises(Rejected):
        d.reception(b.ticket, "priority", priority=12)


def test_estimate_uses_recent_durations_and_open_counters() -> None:
    d = Driver()
    site, state = d.site, d.state
    assert engine.estimate_wait_minutes(state, site, "aufenthalt") == 0
    for _ in range(4):
        d.check_in("aufenthalt")
    # no counter open yet: both configured counters count, 20 min typical
    assert engine.estimate_wait_minutes(state, site, "aufenthalt") == 4 * 20 // 2
    d.counter("abh-1", "next")
    d.tick(6 * 60)
    d.counter("abh-1", "done")  # one service of 6 minutes, only abh-1 open
    assert engine.estimate_wait_minutes(state, site, "aufenthalt") == 3 * 6
    d.counter("abh-2", "resume")
    assert engine.estimate_wait_minutes(state, site, "aufenthalt") == 9


def test_replay_of_the_log_rebuilds_the_same_state() -> None:
    d = Driver()
    for service in ("aufenthalt", "jobcenter", "leistung", "aufenthalt"):
        d.check_in(service)
        d.tick(45)
    d.counter("abh-1", "next")
    d.tick(120)
    d.counter("abh-1", "transfer", to_service="leistung", note="x")
    d.counter("jc-1", "next")
    d.counter("jc-1", "recall")
    d.tick(100)
    d.counter("jc-1", "park")
    fresh = d.replayed()
    assert fresh.tickets == d.state.tickets
    assert fresh.counters == d.state.counters
    assert fresh.waiting_ids == d.state.waiting_ids


def test_offline_ticket_keeps_its_number_and_arrival_time_and_does_not_move_the_sequence() -> None:
    d = Driver()
    d.check_in("aufenthalt")
    issued_at = d.now
    d.tick(600)
    later = d.check_in("aufenthalt")
    offline = d.check_in("aufenthalt", offline_seq=903, arrived_at=issued_at + timedelta(seconds=5), kiosk="kiosk-1")
    assert offline.number == "A-903" and offline.offline
    assert d.check_in("aufenthalt").number == "A-003"
    d.counter("abh-1", "next")
    assert d.called_number(d.counter("abh-2", "next")) == "A-903"  # arrived before A-002
    assert d.state.tickets[later.ticket].status is TicketStatus.WAITING
    with pytest.raises(Rejected) as exc:
        d.check_in("aufenthalt", offline_seq=903, arrived_at=issued_at, kiosk="kiosk-1")
    assert exc.value.code == "number_taken"
    with pytest.raises(Rejected) as exc:
        d.check_in("aufenthalt", offline_seq=5, arrived_at=issued_at, kiosk="kiosk-1")
    assert exc.value.code == "bad_offline_number"


def test_offline_number_must_come_from_the_sending_kiosks_own_block() -> None:
    from queue_rules.site import parse_site

    two_kiosks = MINI.read_text().replace(
        "[[displays]]", '[[kiosks]]\nid = "kiosk-2"\noffline_numbers = [950, 999]\n\n[[displays]]')
    d = Driver(site=parse_site(two_kiosks))
    with pytest.raises(Rejected) as exc:  # 960 is kiosk-2's
        d.check_in("aufenthalt", offline_seq=960, arrived_at=d.now, kiosk="kiosk-1")
    assert exc.value.code == "bad_offline_number" and "900-949" in exc.value.message
    with pytest.raises(Rejected) as exc:  # no sending kiosk named: no block to check against
        d.check_in("aufenthalt", offline_seq=910, arrived_at=d.now)
    assert exc.value.code == "bad_offline_number"
    assert d.check_in("aufenthalt", offline_seq=960, arrived_at=d.now, kiosk="kiosk-2").number == "A-960"
    assert d.check_in("aufenthalt", offline_seq=910, arrived_at=d.now, kiosk="kiosk-1").number == "A-910"


@pytest.mark.parametrize("issued", [
    pytest.param(timedelta(days=-1), id="yesterday"),
    pytest.param(timedelta(hours=-3), id="older-than-offline-max"),
    pytest.param(timedelta(hours=2), id="in-the-future"),
])
def test_implausible_offline_issue_time_counts_as_arriving_now(issued: timedelta) -> None:
    d = Driver()
    d.tick(3 * 3600)  # 12:00 local: yesterday, three hours ago and two hours ahead are all implausible
    walk_in = d.check_in("aufenthalt")
    d.tick(60)
    offline = d.check_in("aufenthalt", offline_seq=901, arrived_at=d.now + issued, kiosk="kiosk-1")
    assert offline.order_at == d.now
    assert d.called_number(d.counter("abh-1", "next")) == walk_in.number  # the walk-in stays first


def test_plausible_offline_issue_time_keeps_the_clients_place() -> None:
    d = Driver()
    d.tick(3 * 3600)
    d.check_in("aufenthalt")
    offline = d.check_in("aufenthalt", offline_seq=901, arrived_at=d.now - timedelta(minutes=30), kiosk="kiosk-1")
    assert offline.order_at == d.now - timedelta(minutes=30)
    assert d.called_number(d.counter("abh-1", "next")) == "A-901"
    ahead = d.check_in("aufenthalt", offline_seq=902, arrived_at=d.now + timedelta(seconds=30), kiosk="kiosk-1")
    assert ahead.order_at == d.now  # a kiosk clock slightly ahead: clamped to now, never later than the hand-in


def test_day_statistics_are_rebuilt_from_the_log_alone() -> None:
    from queue_rules.stats import day_stats

    d = Driver()
    a = d.check_in("aufenthalt")
    d.check_in("aufenthalt")
    d.tick(600)
    d.counter("abh-1", "next")  # a waited 10 min
    d.tick(300)
    d.counter("abh-1", "transfer", to_service="jobcenter", note="")
    d.counter("abh-2", "next")  # b waited 15 min
    d.counter("abh-2", "no_show")
    d.tick(120)
    d.counter("jc-2", "next")
    d.tick(240)
    d.counter("jc-2", "done")
    rows = {r["service"]: r for r in day_stats(d.site, d.log)}
    assert rows["aufenthalt"]["arrivals"] == 2 and rows["aufenthalt"]["no_shows"] == 1
    assert rows["aufenthalt"]["mean_wait_min"] == 12.5 and rows["aufenthalt"]["max_wait_min"] == 15.0
    assert rows["jobcenter"]["transferred_in"] == 1 and rows["jobcenter"]["served"] == 1
    assert rows["jobcenter"]["mean_wait_min"] == 2.0 and rows["jobcenter"]["mean_service_min"] == 4.0
    assert a.ticket in d.state.tickets
