"""Journeys through the core over a real store: one code, one number, stop after stop, notes that go, desk bookings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import queue_protocol as p
from host_support.site_file import load_site
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_rules import engine
from queue_rules.site import Site, parse_site

from .engine_helpers import MINI, Clock, book, counter_reply, service_site

REAL = Path(__file__).resolve().parents[1] / "sites" / "kia-aachen-arkaden.toml"
T = p.Topics("kia-aachen")
KIOSK = "kiosk-eingang"
REPLY = T.reply(KIOSK)
TZ_OFFSET = timedelta(hours=1)  # Aachen in December
DAY = datetime(2026, 12, 2, tzinfo=UTC)  # a Wednesday


def local(hh: int, mm: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hh, minutes=mm) - TZ_OFFSET


def send(svc: QueueService, topic: str, payload: dict[str, object], reply_to: str = REPLY) -> dict[str, object]:
    pubs = svc.handle(Incoming(topic, json.dumps({"v": 1, **payload}).encode(), reply_to, b"c"))
    replies = [json.loads(x.payload) for x in pubs if x.topic == reply_to]
    assert replies, [x.topic for x in pubs]
    return replies[0]


def counter(svc: QueueService, counter_id: str, action: str, **kw: object) -> dict[str, object]:
    cid = f"{counter_id}-{action}-{len(svc.state.tickets)}-{svc.stats['received']}"
    return send(svc, svc.topics.counter_cmd(counter_id), {"id": cid, "action": action, **kw},
                counter_reply(svc.site, svc.topics, counter_id))


def three_stops(store: Store, site: Site) -> str:
    code = book(store, site, "aufenthaltstitel", local(9, 0), minutes=15, language="ar", party_size=2,
                journey_ref="J-1")
    assert book(store, site, "anerkennung", local(9, 40), minutes=40, language="ar", journey_ref="J-1") == code
    assert book(store, site, "jobcenter", local(10, 40), minutes=20, language="ar", journey_ref="J-1") == code
    return code


def test_a_three_stop_journey_is_one_number_called_to_three_rooms_and_its_note_goes_at_the_end(
        store: Store) -> None:
    site = load_site(REAL)
    clock = Clock(local(8, 50))
    svc = QueueService(site, store, clock=clock)
    code = three_stops(store, site)

    looked = send(svc, T.lookup(KIOSK), {"id": "l1", "booking_code": code})
    assert [a["service"] for a in looked["appointments"]] == ["aufenthaltstitel", "anerkennung", "jobcenter"]
    reply = send(svc, T.checkin(KIOSK), {"id": "c1", "booking_code": code.lower()[:4] + "-" + code[4:],
                                         "language": "ar"})
    ticket = reply["ticket"]
    assert ticket["number"] == "A-001" and ticket["service"] == "aufenthaltstitel"
    assert [s["service"] for s in ticket["stops"]] == ["aufenthaltstitel", "anerkennung", "jobcenter"]
    assert [s["status"] for s in ticket["stops"]] == ["waiting", "planned", "planned"]
    assert ticket["stops"][1]["queued_from"].startswith("2026-12-02T08:25")  # 09:40 less the early window
    # checking in again with the same code gives no second number
    again = send(svc, T.checkin(KIOSK), {"id": "c2", "booking_code": code, "language": "ar"})
    assert again["error"]["code"] == "checked_in" and len(svc.state.tickets) == 1

    called = []
    clock.now = local(9, 0)
    assert counter(svc, "auslaenderamt-2", "next").get("number") == "A-001"
    called.append(svc.state.counters["auslaenderamt-2"].ticket)
    note = "Aufenthaltstitel liegt vor, Zeugnisse aus Syrien mitgebracht"
    clock.now = local(9, 12)
    counter(svc, "auslaenderamt-2", "done")
    t = next(iter(svc.state.tickets.values()))
    assert t.service == "anerkennung" and t.status.value == "waiting" and t.number == "A-001"
    assert t.eligible_at == local(9, 25)  # from the slot less the early window (15 min)
    clock.now = local(9, 20)
    assert counter(svc, "anerkennung-1", "next").get("number") is None  # not yet: before its window
    clock.now = local(9, 30)
    assert counter(svc, "anerkennung-1", "next").get("number") == "A-001"
    # a warm handover to the Jobcenter with a note; the visit keeps its place and its plan
    counter(svc, "anerkennung-1", "transfer", to_service="jobcenter", note=note)
    assert t.note == note and store.notes_count() == 1
    pubs = svc.flush_state()
    assert not any(note.encode() in x.payload for x in pubs if "/public/" in x.topic)
    clock.now = local(10, 0)
    assert counter(svc, "jobcenter-1", "next").get("number") == "A-001"
    rooms = {c.room for c in site.counters if c.id in ("auslaenderamt-2", "anerkennung-1", "jobcenter-1")}
    assert len(rooms) == 3
    # the visit's own jobcenter stop (10:40) still follows: done here moves it on to the same desk's queue
    counter(svc, "jobcenter-1", "done")
    assert t.service == "jobcenter" and t.status.value == "waiting" and not t.plan
    clock.now = local(10, 30)
    counter(svc, "jobcenter-1", "next")
    counter(svc, "jobcenter-1", "done")
    assert t.status.value == "done" and t.note == "" and store.notes_count() == 0
    # after a restart the note is gone too (the log has none, the note table is empty)
    again_svc = QueueService(site, store, clock=clock)
    assert all(x.note == "" for x in again_svc.state.tickets.values())
    assert all('"note":""' in r.data or '"note"' not in r.data for r in store.event_rows())


def test_a_journey_stop_is_called_before_its_next_booked_stop_is_missed(store: Store) -> None:
    site = load_site(REAL)
    clock = Clock(local(8, 0))
    svc = QueueService(site, store, clock=clock, always_open=True)
    code = book(store, site, "jobcenter", local(9, 0), minutes=20, journey_ref="J-2")
    book(store, site, "anerkennung", local(9, 30), minutes=40, journey_ref="J-2")
    walk_in = next(c.id for c in site.concerns if c.service == "jobcenter")
    for i in range(8):  # walk-ins who came first, between 08:00 and 08:35
        send(svc, T.checkin(KIOSK), {"id": f"w{i}", "concern": walk_in})
        clock.now += timedelta(minutes=5)
    journey = send(svc, T.checkin(KIOSK), {"id": "j", "booking_code": code})["ticket"]
    walk_ins = sorted((t for t in svc.state.tickets.values() if t.journey is None), key=lambda t: t.order_at)

    def call_next() -> str:
        counter(svc, "jobcenter-1", "done")
        counter(svc, "jobcenter-1", "next")
        return svc.state.tickets[svc.state.counters["jobcenter-1"].ticket].number

    # until his slot (09:00) first come, first served
    clock.now = local(8, 50)
    assert call_next() == walk_ins[0].number
    clock.now = local(8, 59)
    assert call_next() == walk_ins[1].number
    # at his slot the journey client goes first, so he makes his 09:30 appointment; the walk-ins keep their order
    clock.now = local(9, 0)
    assert call_next() == journey["number"]
    clock.now = local(9, 20)
    assert call_next() == walk_ins[2].number


def test_a_journey_client_is_called_in_time_for_his_next_stop(store: Store) -> None:
    site = load_site(REAL)
    clock = Clock(local(8, 0))
    svc = QueueService(site, store, clock=clock, always_open=True)
    # booked at 08:00 for the recognition advice (40 min), next stop 09:30: called by 08:45 at the latest
    code = book(store, site, "anerkennung", local(8, 0), minutes=40, journey_ref="J-4")
    book(store, site, "jobcenter", local(9, 30), minutes=20, journey_ref="J-4")
    walk_in = next(c.id for c in site.concerns if c.service == "anerkennung" and c.walk_in)
    for i in range(5):
        send(svc, T.checkin(KIOSK), {"id": f"w{i}", "concern": walk_in})
    clock.now = local(8, 20)  # he comes late: a walk-in's place (this agency's rule), but his next stop counts
    journey = send(svc, T.checkin(KIOSK), {"id": "j", "booking_code": code})["ticket"]
    t = next(x for x in svc.state.tickets.values() if x.number == journey["number"])
    assert t.priority == 0 and t.order_at == local(8, 20)
    assert engine.deadline(site, t) == local(8, 45)
    clock.now = local(8, 44)
    assert counter(svc, "anerkennung-1", "next").get("number") != journey["number"]
    clock.now = local(8, 45)
    assert counter(svc, "anerkennung-2", "next").get("number") == journey["number"]


def _site_with_rules(late_action: str, late_priority: int = 0) -> Site:
    text = MINI.read_text().replace('prefix = "A"\n', 'prefix = "A"\n[agencies.bookings]\nlate_minutes = 15\n'
                                    f'late_action = "{late_action}"\nlate_priority = {late_priority}\n', 1)
    return parse_site(text, "mini+rules")


@pytest.mark.parametrize("action", ["walk_in", "reception"])
def test_a_late_booked_client_is_queued_by_the_agencys_rule(store: Store, action: str) -> None:
    site = _site_with_rules(action, late_priority=3)
    mini = p.Topics("mini")
    clock = Clock(local(9, 30))
    svc = QueueService(site, store, clock=clock)
    code = book(store, site, "aufenthalt", local(9, 0))
    reply = send(svc, mini.checkin("kiosk-1"), {"id": "late", "booking_code": code}, mini.reply("kiosk-1"))
    t = next(iter(svc.state.tickets.values()))
    assert t.arrived_at == local(9, 30)  # the real arrival, not the slot less the early window
    if action == "walk_in":
        assert t.status.value == "waiting" and t.priority == 3 and t.order_at == local(9, 30)
        assert reply["ticket"]["see_reception"] is False
    else:
        assert t.status.value == "parked" and reply["ticket"]["see_reception"] is True
        rows = svc.flush_state()
        tickets = next(json.loads(x.payload) for x in rows if x.topic == mini.tickets())
        assert tickets["tickets"][0]["see_reception"] is True
        r = send(svc, mini.reception_cmd("reception"), {"id": "r1", "action": "return", "ticket": t.number,
                                                         "operator": "Empfang"}, mini.reply("reception"))
        assert r["ok"] and t.status.value == "waiting" and not t.see_reception


def test_a_missed_stop_does_not_cancel_the_rest_of_the_journey(store: Store) -> None:
    site = service_site()
    mini = p.Topics("mini")
    clock = Clock(local(9, 0))
    svc = QueueService(site, store, clock=clock)
    code = book(store, site, "aufenthalt", local(9, 0), journey_ref="J-3")
    book(store, site, "jobcenter", local(10, 0), journey_ref="J-3")
    send(svc, mini.checkin("kiosk-1"), {"id": "c", "booking_code": code}, mini.reply("kiosk-1"))
    counter(svc, "abh-1", "next")
    counter(svc, "abh-1", "no_show")
    t = next(iter(svc.state.tickets.values()))
    assert t.service == "jobcenter" and t.status.value == "waiting" and t.missed == 1
    assert t.eligible_at == local(9, 50)
    row = next(json.loads(x.payload) for x in svc.flush_state() if x.topic == mini.tickets())["tickets"][0]
    assert row["missed"] == 1 and row["journey_stops"] == 0


def test_a_referral_with_return_comes_back_to_the_first_desk_with_priority(store: Store) -> None:
    site = service_site()
    mini = p.Topics("mini")
    clock = Clock(local(9, 0))
    svc = QueueService(site, store, clock=clock, always_open=True)
    for i in range(3):
        send(svc, mini.checkin("kiosk-1"), {"id": f"c{i}", "concern": "residence"}, mini.reply("kiosk-1"))
        clock.now += timedelta(minutes=1)
    first = counter(svc, "abh-1", "next").get("number")
    counter(svc, "abh-1", "refer", to_service="jobcenter", note="Krankenversicherung klären, dann zurück")
    t = next(x for x in svc.state.tickets.values() if x.number == first)
    assert t.service == "jobcenter" and t.plan[0].service == "aufenthalt"
    counter(svc, "jc-1", "next")
    counter(svc, "jc-1", "done")
    assert t.service == "aufenthalt" and t.status.value == "waiting" and t.priority == site.policy.return_priority
    # back first, before the two who were waiting all along
    assert counter(svc, "abh-2", "next").get("number") == first
    counter(svc, "abh-2", "done")
    assert t.status.value == "done" and store.notes_count() == 0


def test_refer_with_appointment_for_the_next_day_checks_in_with_the_slip(store: Store) -> None:
    site = load_site(REAL)
    clock = Clock(local(9, 0))
    svc = QueueService(site, store, clock=clock, always_open=True)
    walk_in = next(c.id for c in site.concerns if c.service == "jobcenter")
    ticket = send(svc, T.checkin(KIOSK), {"id": "w", "concern": walk_in, "language": "uk"})["ticket"]
    counter(svc, "jobcenter-1", "next")
    busy = counter(svc, "jobcenter-1", "book", to_service="anerkennung", slot="2026-12-03T07:00:00Z")
    assert busy["error"]["code"] == "slot_taken"  # 08:00 local: on Thursdays the Anerkennungsberatung opens at 13:00
    kept = counter(svc, "jobcenter-1", "book", to_service="anerkennung", slot="2026-12-03T12:00:00Z",
                   note="Abschluss Lehramt, Kyjiw")
    assert kept["error"]["code"] == "note_not_kept"  # a note does not wait overnight
    ok = counter(svc, "jobcenter-1", "book", to_service="anerkennung", slot="2026-12-03T12:00:00Z")
    assert ok["ok"], ok
    t = next(iter(svc.state.tickets.values()))
    assert t.status.value == "done" and t.journey is not None
    journey = store.journey(t.journey)
    assert journey is not None and [s.service for s in journey.stops] == ["anerkennung"]
    # the next morning: the slip's QR code finds the appointment, and checks in under the journey's code
    clock.now = local(12, 50, days=1)
    svc2 = QueueService(site, store, clock=clock, always_open=True)
    assert store.notes_count() == 0  # yesterday's visit closed; nothing is kept
    looked = send(svc2, T.lookup(KIOSK), {"id": "l", "ticket_token": ticket["token"]})
    assert looked["booking_code"] == t.journey and looked["appointments"][0]["service"] == "anerkennung"
    issued = send(svc2, T.checkin(KIOSK), {"id": "c", "booking_code": looked["booking_code"], "language": "uk"})
    assert issued["ok"] and issued["ticket"]["service"] == "anerkennung"
    # a second desk booking into the same slot is refused when the service's counters are all booked
    taken = [r for r in store.bookings_between(local(0, 0, 1), local(23, 0, 1)) if r.stop.service == "anerkennung"]
    assert len(taken) == 1


def test_refer_with_appointment_later_today_keeps_the_number(store: Store) -> None:
    site = service_site()
    mini = p.Topics("mini")
    clock = Clock(local(9, 0))
    svc = QueueService(site, store, clock=clock, always_open=True)
    send(svc, mini.checkin("kiosk-1"), {"id": "c", "concern": "residence"}, mini.reply("kiosk-1"))
    number = counter(svc, "abh-1", "next").get("number")
    slot = local(11, 0)
    r = counter(svc, "abh-1", "book", to_service="leistung", slot=slot.isoformat())
    assert r["ok"], r
    t = next(iter(svc.state.tickets.values()))
    assert t.number == number and t.service == "leistung" and t.status.value == "waiting"
    assert t.eligible_at == slot - timedelta(minutes=site.early_minutes("leistung"))
    board = next(json.loads(x.payload) for x in svc.flush_state() if x.topic == mini.board())
    assert board["later"] == [{"number": number, "room": "1.07", "floor": 1, "agency": "JC",
                               "at": board["later"][0]["at"]}]
