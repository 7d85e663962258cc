"""The queue service over a real store (SQLite and PostgreSQL): commands, replies, refusals, idempotency, rebuild."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import queue_protocol as p
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_protocol.scan import classify_scan, ticket_qr

from .engine_helpers import MORNING, Clock, book, reply_topic, service_site, unknown_code

T = p.Topics("mini")
REPLY = T.reply("kiosk-1")


def make(store: Store, clock: Clock | None = None) -> QueueService:
    return QueueService(service_site(), store, clock=clock or Clock())


def send(svc: QueueService, topic: str, payload: dict | bytes, reply: bool = True) -> tuple[dict | None, list]:
    raw = payload if isinstance(payload, bytes) else json.dumps({"v": 1, **payload}).encode()
    own = reply_topic(T, topic)
    pubs = svc.handle(Incoming(topic, raw, own if reply else None, b"corr"))
    replies = [json.loads(x.payload) for x in pubs if x.topic == own]
    assert all(x.correlation == b"corr" for x in pubs if x.topic == own)
    return (replies[0] if replies else None), pubs


def checkin(svc: QueueService, cid: str, concern: str = "residence", **kw: object) -> dict:
    reply, _ = send(svc, T.checkin("kiosk-1"), {"id": cid, "concern": concern, **kw})
    assert reply is not None
    return reply


def test_check_in_replies_with_a_ticket_for_the_slip(store: Store) -> None:
    svc = make(store)
    first = checkin(svc, "c1")
    second = checkin(svc, "c2")
    assert first["ok"] and first["ticket"]["number"] == "A-001"
    t = second["ticket"]
    assert t["number"] == "A-002" and t["rooms"] == ["E.01"] and t["floor"] == 0
    assert t["waiting_ahead"] == 1 and t["estimated_wait_min"] == 10  # 1 ahead × 20 min / 2 counters
    assert len(t["token"]) >= 16


def test_a_repeated_command_id_is_answered_again_not_applied_again(store: Store) -> None:
    svc = make(store)
    assert checkin(svc, "same")["ticket"]["number"] == "A-001"
    assert checkin(svc, "same")["ticket"]["number"] == "A-001"
    assert checkin(svc, "other")["ticket"]["number"] == "A-002"
    # after a restart of the core the answer is still known (from the store)
    again = make(store)
    assert checkin(again, "same")["ticket"]["number"] == "A-001"
    assert len(again.state.tickets) == 2


def test_a_retried_next_never_skips_a_client(store: Store) -> None:
    clock = Clock()
    svc = make(store, clock)
    checkin(svc, "c1")
    checkin(svc, "c2")
    r1, _ = send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next"})
    clock.now += timedelta(minutes=5)
    r2, _ = send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next"})  # the same message again
    assert r1 == r2 and r1["number"] == "A-001"
    r3, _ = send(svc, T.counter_cmd("abh-1"), {"id": "n2", "action": "next"})
    assert r3["number"] == "A-002"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"{not json", "bad_json"),
        (b"[1, 2]", "bad_json"),
        (json.dumps({"v": 7, "id": "x", "concern": "residence"}).encode(), "unsupported_version"),
        (json.dumps({"v": 1, "id": "x"}).encode(), "bad_payload"),
        (json.dumps({"v": 1, "id": "x", "concern": "residence", "name": "Max Mustermann"}).encode(), "bad_payload"),
        (json.dumps({"v": 1, "id": "x", "concern": "nope"}).encode(), "unknown_concern"),
        (b"{" + b" " * 20000 + b"}", "too_large"),
    ],
)
def test_bad_check_ins_are_refused_with_a_reason_and_change_nothing(store: Store, payload: bytes, code: str) -> None:
    svc = make(store)
    pubs = svc.handle(Incoming(T.checkin("kiosk-1"), payload, REPLY, b"c"))
    errors = [json.loads(x.payload) for x in pubs if x.topic == T.error()]
    assert errors and errors[0]["code"] == code and errors[0]["message"]
    replies = [json.loads(x.payload) for x in pubs if x.topic == REPLY]
    assert replies and replies[0]["ok"] is False and replies[0]["error"]["code"] == code
    assert svc.state.tickets == {} and list(store.events()) == []
    assert svc.stats[f"rejected_{code}"] == 1


def test_bad_counter_commands_are_refused(store: Store) -> None:
    svc = make(store)
    reply, _ = send(svc, T.counter_cmd("ghost"), {"id": "x", "action": "next"})
    assert reply["error"]["code"] == "unknown_device"
    reply, _ = send(svc, T.counter_cmd("abh-1"), {"id": "y", "action": "done"})
    assert reply["error"]["code"] == "no_current_ticket"
    reply, _ = send(svc, T.counter_cmd("abh-1"), {"id": "z", "action": "explode"})
    assert reply["error"]["code"] == "unknown_action"
    pubs = svc.handle(Incoming("arkaden/v1/mini/cmd/nonsense/x", b"{}", None, None))
    assert json.loads(pubs[0].payload)["code"] == "unknown_topic"
    pubs = svc.handle(Incoming("elsewhere/topic", b"{}", None, None))
    assert json.loads(pubs[0].payload)["code"] == "unknown_topic"
    assert list(store.events()) == []


def test_replies_go_only_to_this_sites_reply_topics(store: Store) -> None:
    svc = make(store)
    pubs = svc.handle(Incoming(T.checkin("kiosk-1"), b"junk", "arkaden/v1/mini/public/board", b"c"))
    assert [x.topic for x in pubs] == [T.error()]


def test_booked_check_in_and_lookup(store: Store) -> None:
    clock = Clock()
    svc = make(store, clock)
    slot = MORNING + timedelta(minutes=30)
    code = book(store, svc.site, "aufenthalt", slot, language="ar", party_size=3)
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "l1", "booking_code": code})
    assert reply["ok"] and reply["appointments"][0]["service"] == "aufenthalt"
    assert reply["appointments"][0]["checked_in"] is False
    reply, pubs = send(svc, T.checkin("kiosk-1"), {"id": "b1", "booking_code": code, "language": "ar"})
    assert reply["ok"] and reply["ticket"]["number"] == "A-001"
    # booking details never reach a public topic
    public = [x for x in pubs + svc.flush_state() if "/public/" in x.topic]
    assert public and all(code.encode() not in x.payload for x in public)
    reply, _ = send(svc, T.checkin("kiosk-1"), {"id": "b2", "booking_code": code})
    assert reply["error"]["code"] == "checked_in"
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "l2", "booking_code": unknown_code(1)})
    assert reply["error"]["code"] == "no_booking"
    typo = code[:2] + ("A" if code[2] != "A" else "C") + code[3:]
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "l3", "booking_code": typo})
    assert reply["error"]["code"] == "mistyped_code"


def test_public_topics_carry_no_personal_data(store: Store) -> None:
    svc = make(store)
    ticket = checkin(svc, "c1", language="ar", party_size=4, interpreter=True)["ticket"]
    send(svc, T.counter_cmd("abh-1"), {"id": "n", "action": "next"})
    send(svc, T.counter_cmd("abh-1"), {"id": "t", "action": "transfer", "to_service": "jobcenter",
                                         "note": "Familie Haddad, Aufenthaltstitel liegt vor"})
    pubs = svc.flush_state()
    public = [x for x in pubs if "/public/" in x.topic]
    private = [x for x in pubs if "/private/" in x.topic]
    assert public and private
    for x in public:
        assert b"Haddad" not in x.payload and ticket["token"].encode() not in x.payload
        assert b"language" not in x.payload and b"interpreter" not in x.payload
    assert any(b"Haddad" in x.payload for x in private)  # reception does see the note


def test_restart_rebuilds_todays_state_from_the_log(store: Store) -> None:
    clock = Clock()
    svc = make(store, clock)
    for i in range(5):
        checkin(svc, f"c{i}", concern="job" if i % 2 else "residence")
    send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next"})
    send(svc, T.counter_cmd("jc-1"), {"id": "n2", "action": "next"})
    again = make(store, clock)
    assert again.state.tickets == svc.state.tickets
    assert again.state.counters == svc.state.counters
    # the next day starts empty and numbers restart
    clock.now += timedelta(days=1)
    tomorrow = make(store, clock)
    assert tomorrow.state.tickets == {}
    assert checkin(tomorrow, "d1")["ticket"]["number"] == "A-001"


def test_a_store_failure_refuses_the_command_and_loses_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    svc = make(store)
    checkin(svc, "c1")

    def broken(*a: object, **k: object) -> list[int]:
        raise OSError("disk full")

    monkeypatch.setattr(store, "append", broken)
    reply = checkin(svc, "c2")
    assert reply["ok"] is False and reply["error"]["code"] == "storage"
    assert [t.number for t in svc.state.tickets.values()] == ["A-001"]
    monkeypatch.undo()
    assert checkin(svc, "c2")["ticket"]["number"] == "A-002"



def test_reception_list_stays_bounded_on_a_busy_day(store: Store) -> None:
    svc = make(store)
    for i in range(400):
        checkin(svc, f"c{i}", concern="job" if i % 2 else "residence")
    send(svc, T.counter_cmd("abh-1"), {"id": "n", "action": "next"})
    tickets = next(x for x in svc.flush_state() if x.topic == T.tickets())
    data = json.loads(tickets.payload)
    assert len(data["tickets"]) == 150 and data["more"] == 250
    assert data["tickets"][0]["status"] == "called"  # active ones first
    assert len(tickets.payload) < 60_000


def test_reception_list_keeps_updating_when_every_ticket_carries_a_long_note(store: Store) -> None:
    """Issue 15 #8: 150 rows with 500-character Arabic notes are 150 kB; the list used to exceed the publish limit
    and silently stop updating. Now notes are shortened, then rows go into `more`, and the list always goes out."""
    from queue_core.runner import MAX_PUBLISH_BYTES

    svc = QueueService(service_site(), store, clock=Clock(), always_open=True)
    note = ("ملاحظة طويلة للمستشار التالي " * 30)[:500]
    for i in range(160):
        checkin(svc, f"c{i}")
        send(svc, T.counter_cmd("abh-1"), {"id": f"n{i}", "action": "next"})
        reply, _ = send(svc, T.counter_cmd("abh-1"), {"id": f"t{i}", "action": "transfer", "to_service": "jobcenter",
                                                     "note": note})
        assert reply is not None and reply["ok"], reply
    tickets = next(x for x in svc.flush_state() if x.topic == T.tickets())
    assert len(tickets.payload) <= MAX_PUBLISH_BYTES
    data = p.TicketList.model_validate_json(tickets.payload)
    assert len(data.tickets) + data.more == 160 and len(data.tickets) >= 100
    assert all(r.note_cut and r.note.endswith("…") and len(r.note) <= 120 for r in data.tickets)
    assert svc.state.tickets[data.tickets[0].id].note == note.strip()   # whole, for the next desk


@pytest.mark.parametrize("bad", [
    None, "", "arkaden/v1/mini/reply/+", "arkaden/v1/mini/#", "arkaden/v1/mini/public/board",
    "arkaden/v1/other-site/reply/kiosk-1", "arkaden/v1/mini/reply/kiosk-1og", "arkaden/v1/mini/reply/reception",
    "elsewhere",
])
def test_a_check_in_nobody_could_learn_of_changes_nothing(store: Store, bad: str | None) -> None:
    """No usable Response Topic: no ghost ticket that would be called and end as a no-show; refused, counted."""
    svc = make(store)
    body = json.dumps({"v": 1, "id": "x1", "concern": "job"}).encode()
    pubs = svc.handle(Incoming(T.checkin("kiosk-1"), body, bad, b"c"))
    assert [x.topic for x in pubs] == [T.error()]
    assert json.loads(pubs[0].payload)["code"] == "bad_reply_topic"
    assert svc.state.tickets == {} and list(store.events()) == []
    assert svc.stats["rejected_bad_reply_topic"] == 1
    assert checkin(svc, "x1")["ok"]  # the same id with the kiosk's own reply topic is then carried out


def test_a_counter_command_naming_another_devices_reply_topic_changes_nothing(store: Store) -> None:
    svc = make(store)
    checkin(svc, "c1")
    for i, bad in enumerate(("arkaden/v1/mini/reply/+", T.reply("kiosk-1"), T.reply("box-abh-2"))):
        pubs = svc.handle(Incoming(T.counter_cmd("abh-1"), json.dumps({"v": 1, "id": f"n{i}", "action": "next"})
                                   .encode(), bad, b"c"))
        assert [x.topic for x in pubs] == [T.error()]
    assert svc.state.counters.get("abh-1") is None or svc.state.counters["abh-1"].ticket is None
    # its own box's reply topic, or none at all (a counter command's answer is optional): carried out
    pubs = svc.handle(Incoming(T.counter_cmd("abh-1"), b'{"v":1,"id":"n9","action":"next"}', T.reply("box-abh-1"),
                               b"c"))
    assert T.call() in [x.topic for x in pubs] and T.reply("box-abh-1") in [x.topic for x in pubs]
    pubs = svc.handle(Incoming(T.counter_cmd("abh-1"), b'{"v":1,"id":"n10","action":"recall"}', None, None))
    assert T.call() in [x.topic for x in pubs]


def test_an_unusable_command_id_or_deep_nesting_still_gets_a_clear_refusal(store: Store) -> None:
    svc = make(store)
    reply, _ = send(svc, T.checkin("kiosk-1"), {"id": "a b", "concern": "job"})
    assert reply["ok"] is False and reply["id"] == "unknown" and reply["error"]["code"] == "bad_payload"
    reply, _ = send(svc, T.checkin("kiosk-1"), b"[" * 5000 + b"]" * 5000)
    assert reply["error"]["code"] == "bad_json"


def test_unknown_devices_are_refused(store: Store) -> None:
    svc = make(store)
    reply, pubs = send(svc, T.checkin("kiosk-from-elsewhere"), {"id": "c", "concern": "job"})
    assert reply is None, "an unknown id's reply topic belongs to no device of this site: nothing goes there"
    assert [json.loads(x.payload)["code"] for x in pubs] == ["unknown_device"]
    reply, pubs = send(svc, T.reception_cmd("x" * 120),
                       {"id": "r", "action": "cancel", "ticket": "A-001", "operator": "o"})
    assert reply is None and [json.loads(x.payload)["code"] for x in pubs] == ["unknown_device"]
    assert svc.state.tickets == {}


def test_the_first_command_of_a_new_day_starts_from_a_clean_board(store: Store) -> None:
    clock = Clock()
    svc = make(store, clock)
    checkin(svc, "c1")
    checkin(svc, "c2")
    send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next"})
    clock.now += timedelta(days=1)
    reply, _ = send(svc, T.counter_cmd("abh-1"), {"id": "n2", "action": "next"})
    assert reply["ok"] is True and reply.get("number") is None  # nobody from yesterday is called
    assert svc.state.tickets == {} and svc.stats["internal_errors"] == 0
    assert checkin(svc, "d1")["ticket"]["number"] == "A-001"


def test_a_retried_double_press_does_not_skip_a_client_even_after_a_restart(store: Store) -> None:
    clock = Clock()
    svc = make(store, clock)
    checkin(svc, "c1")
    checkin(svc, "c2")
    assert send(svc, T.counter_cmd("abh-1"), {"id": "p1", "action": "next"})[0]["number"] == "A-001"
    clock.now += timedelta(seconds=0.5)
    assert send(svc, T.counter_cmd("abh-1"), {"id": "p2", "action": "next"})[0]["number"] == "A-001"
    clock.now += timedelta(seconds=5)
    again = make(store, clock)
    assert send(again, T.counter_cmd("abh-1"), {"id": "p2", "action": "next"})[0]["number"] == "A-001"
    assert again.state.tickets[next(iter(again.state.tickets))].status.value == "called"


def test_a_scanned_slip_shows_where_its_ticket_stands(store: Store) -> None:
    svc = make(store)
    first = checkin(svc, "c1")["ticket"]
    second = checkin(svc, "c2")["ticket"]
    qr = classify_scan(ticket_qr(second["token"]))
    assert qr is not None and qr.kind == "ticket"
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "l1", "ticket_token": qr.value})
    info = reply["ticket"]
    assert reply["ok"] and info["number"] == second["number"] and info["status"] == "waiting"
    assert info["waiting_ahead"] == 1 and info["rooms"] == ["E.01"] and "counter" not in info
    send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next"})
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "l2", "ticket_token": first["token"]})
    assert reply["ticket"]["status"] == "called" and reply["ticket"]["counter_room"] == "E.01"
    assert reply["ticket"]["counter"]
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "l3", "ticket_token": "x" * 16})
    assert reply["error"]["code"] == "unknown_ticket"
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "l4", "ticket_token": "x" * 16, "booking_code": "KIA-4711"})
    assert reply["error"]["code"] == "bad_payload"


@pytest.mark.parametrize("line, expected", [
    ("ARKADEN-T:abcDEF12_-xy\r\n", ("ticket", "abcDEF12_-xy")),
    ("arkaden-t:abcdefgh", ("ticket", "abcdefgh")),
    ("KIA-4711\n", ("booking", "KIA-4711")),
    ("ARKADEN-B:KIA-4711", ("booking", "KIA-4711")),
    ("ARKADEN-T:short", None),
    ("https://example.org/?q=1", None),
    ("", None),
    ("\x00\x1b@", None),
])
def test_scanned_lines_are_told_apart(line: str, expected: tuple[str, str] | None) -> None:
    got = classify_scan(line)
    assert (None if got is None else (got.kind, got.value)) == expected


def _two_kiosk_site():  # type: ignore[no-untyped-def]
    from queue_rules.site import parse_site

    from .engine_helpers import MINI

    return parse_site(MINI.read_text().replace(
        "[[displays]]", '[[kiosks]]\nid = "kiosk-2"\noffline_numbers = [950, 999]\n\n[[displays]]'))


def test_a_kiosk_cannot_hand_in_an_offline_number_from_another_kiosks_block(store: Store) -> None:
    svc = QueueService(_two_kiosk_site(), store, clock=Clock(), always_open=True)
    stolen = {"id": "o1", "concern": "residence", "offline_number": 955, "issued_at": MORNING.isoformat()}
    reply, pubs = send(svc, T.checkin("kiosk-1"), stolen)
    assert reply["error"]["code"] == "bad_offline_number"
    assert not svc.state.tickets and any(x.topic == T.error() for x in pubs)
    own = {"id": "o2", "concern": "residence", "offline_number": 905, "issued_at": MORNING.isoformat()}
    assert send(svc, T.checkin("kiosk-1"), own)[0]["ticket"]["number"] == "A-905"


def test_an_offline_ticket_of_yesterday_is_not_merged_into_today(store: Store) -> None:
    """Yesterday's slip is not today's place, and must not take today's number from the block (issue 15 #4)."""
    clock = Clock()
    svc = make(store, clock)
    first = checkin(svc, "w1")["ticket"]["number"]
    clock.now += timedelta(minutes=5)
    stale = {"id": "o1", "concern": "residence", "offline_number": 901,
             "issued_at": (MORNING - timedelta(days=1)).isoformat()}
    reply, _ = send(svc, T.checkin("kiosk-1"), stale)
    assert reply is not None and reply["error"]["code"] == "offline_expired"
    assert p.ERROR_CODES["offline_expired"][1] is False   # final: the kiosk's outbox stops retrying it
    # today's real offline ticket with the same number is taken
    today = {"id": "o2", "concern": "residence", "offline_number": 901, "issued_at": clock.now.isoformat()}
    assert send(svc, T.checkin("kiosk-1"), today)[0]["ticket"]["number"] == "A-901"
    reply, _ = send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next"})
    assert reply["number"] == first


def _offline(cid: str, number: int, replaces: str, at: object) -> dict:
    return {"id": cid, "concern": "residence", "offline_number": number, "issued_at": str(at), "replaces": replaces}


def test_an_offline_ticket_cancels_the_online_ticket_whose_answer_came_too_late(store: Store) -> None:
    """The kiosk gave up on check-in c1 after 1.5 s, the core answered at 1.6 s: one client, one ticket (#2)."""
    clock = Clock()
    svc = make(store, clock)
    phantom = checkin(svc, "c1")["ticket"]["number"]
    reply, _ = send(svc, T.checkin("kiosk-1"), _offline("o1", 900, "c1", clock.now.isoformat()))
    assert reply is not None and reply["ok"] and reply["ticket"]["number"] == "A-900"
    statuses = {t.number: t.status.value for t in svc.state.tickets.values()}
    assert statuses == {phantom: "cancelled", "A-900": "waiting"}
    assert [x.number for x in views_waiting(svc)] == ["A-900"]
    # the kiosk retries its offline hand-in (same id, same content): answered, nothing cancelled twice
    assert send(svc, T.checkin("kiosk-1"), _offline("o1", 900, "c1", clock.now.isoformat()))[0] == reply
    assert sum(1 for e in store.events() if e.type == "ticket_cancelled") == 1


def test_a_check_in_that_arrives_after_the_offline_ticket_replacing_it_is_refused_also_after_a_restart(
        store: Store) -> None:
    clock = Clock()
    svc = make(store, clock)
    assert send(svc, T.checkin("kiosk-1"), _offline("o1", 900, "c1", clock.now.isoformat()))[0]["ok"]
    for service in (svc, make(store, clock)):   # the refusal is stored with the offline ticket's commit
        late, _ = send(service, T.checkin("kiosk-1"), {"id": "c1", "concern": "residence"})
        assert late is not None and late["ok"] is False and late["error"]["code"] == "superseded"
        assert [t.number for t in service.state.tickets.values()] == ["A-900"]


def views_waiting(svc: QueueService) -> list:
    return [t for t in svc.state.tickets.values() if t.status.value == "waiting"]


def test_booking_code_guessing_is_slowed_down_per_kiosk(store: Store) -> None:
    from queue_core.service import BOOKING_FAILURE_WINDOW, BOOKING_FAILURES_PER_KIOSK

    clock = Clock()
    svc = QueueService(_two_kiosk_site(), store, clock=clock, always_open=True)
    code = book(store, svc.site, "aufenthalt", MORNING + timedelta(minutes=30), language="ar", party_size=3)
    for i in range(BOOKING_FAILURES_PER_KIOSK):
        reply, _ = send(svc, T.lookup("kiosk-1"), {"id": f"g{i}", "booking_code": unknown_code(i)})
        assert reply["error"]["code"] == "no_booking"
    # now even a valid code is refused at this kiosk, by lookup and by check-in, with a clear reason
    reply, pubs = send(svc, T.lookup("kiosk-1"), {"id": "v1", "booking_code": code})
    assert reply["error"]["code"] == "rate_limited" and "try again in" in reply["error"]["message"]
    assert any(x.topic == T.error() and b"rate_limited" in x.payload for x in pubs)
    reply, _ = send(svc, T.checkin("kiosk-1"), {"id": "v2", "booking_code": code})
    assert reply["error"]["code"] == "rate_limited" and not svc.state.tickets
    # walk-ins at the same kiosk and look-ups at another kiosk go on
    assert checkin(svc, "w1")["ok"]
    reply, _ = svc_reply(svc, T.lookup("kiosk-2"), {"id": "k2", "booking_code": code})
    assert reply["ok"]
    # once the window has passed, the kiosk may look up again
    clock.now += BOOKING_FAILURE_WINDOW
    reply, _ = send(svc, T.lookup("kiosk-1"), {"id": "v3", "booking_code": code})
    assert reply["ok"] and reply["appointments"][0]["party_size"] == 3


def svc_reply(svc: QueueService, topic: str, payload: dict) -> tuple[dict | None, list]:
    """Like send(), with the reply going to the sending device's own reply topic."""
    device = topic.rsplit("/", 1)[1]
    own = T.reply(device)
    pubs = svc.handle(Incoming(topic, json.dumps({"v": 1, **payload}).encode(), own, b"corr"))
    replies = [json.loads(x.payload) for x in pubs if x.topic == own]
    return (replies[0] if replies else None), pubs

def test_a_moved_ticket_republishes_both_queues(store: Store) -> None:
    svc = make(store)
    checkin(svc, "c1")
    svc.flush_state()
    reply, _ = send(svc, T.reception_cmd("reception"), {"id": "m", "action": "move", "ticket": "A-001",
                                                        "to_service": "jobcenter", "operator": "frau-k"})
    assert reply is not None and reply["ok"]
    queues = {json.loads(x.payload)["service"]: json.loads(x.payload)["waiting"]
              for x in svc.flush_state() if "/public/queue/" in x.topic}
    assert queues["aufenthalt"] == 0 and queues["jobcenter"] == 1
    # a TicketList row of a ticket at no counter leaves `counter` out, and still reads back
    pubs = svc.handle(Incoming(T.checkin("kiosk-1"), b'{"v":1,"id":"c2","concern":"job"}', T.reply("kiosk-1"), None))
    tickets = next(x for x in pubs + svc.flush_state() if x.topic == T.tickets())
    assert all(r.counter is None for r in p.TicketList.model_validate_json(tickets.payload).tickets)


def test_a_call_carries_the_clients_language_code_only_when_he_chose_to_hear_it(store: Store) -> None:
    svc = make(store)
    checkin(svc, "c1", language="ar", announce=True)
    checkin(svc, "c2", language="fa")
    checkin(svc, "c3", language="de", announce=True)   # German: said anyway, nothing to announce
    calls = []
    for cid, action in (("n1", "next"), ("s1", "start"), ("d1", "done"), ("n2", "next"), ("r2", "recall"),
                        ("s2", "start"), ("d2", "done"), ("n3", "next")):
        _, pubs = send(svc, T.counter_cmd("abh-1"), {"id": cid, "action": action})
        calls += [json.loads(x.payload) for x in pubs if x.topic == T.call()]
    assert [(c["number"], c.get("announce"), c["recall"]) for c in calls] == [
        ("A-001", "ar", False), ("A-002", None, False), ("A-002", None, True), ("A-003", None, False)]
    # the choice survives a restart (it is in the event log), and the board never carries it
    again = make(store)
    assert again.state.tickets[next(iter(svc.state.tickets))].announce
    assert all(b"announce" not in x.payload and b'"ar"' not in x.payload
               for x in again.flush_state() if x.topic == T.board())


def test_a_booking_is_used_once_also_after_a_transfer_and_rescans_are_no_guesses(store: Store) -> None:
    """Issue 15 #5: the booking counts as used whatever service the visit is at now, and scanning the used code
    again (a client who tries twice) never counts against the kiosk's guessing limit."""
    from queue_core.service import BOOKING_FAILURES_PER_KIOSK

    svc = QueueService(service_site(), store, clock=Clock(), always_open=True)
    code = book(store, svc.site, "aufenthalt", MORNING + timedelta(minutes=10))
    assert send(svc, T.checkin("kiosk-1"), {"id": "a", "booking_code": code})[0]["ok"]
    send(svc, T.counter_cmd("abh-1"), {"id": "n", "action": "next"})
    assert send(svc, T.counter_cmd("abh-1"), {"id": "t", "action": "transfer", "to_service": "jobcenter"})[0]["ok"]
    for i in range(BOOKING_FAILURES_PER_KIOSK + 2):
        reply, _ = send(svc, T.checkin("kiosk-1"), {"id": f"again{i}", "booking_code": code})
        assert reply is not None and reply["error"]["code"] == "checked_in"
    assert len(svc.state.tickets) == 1
    other = book(store, svc.site, "aufenthalt", MORNING + timedelta(minutes=40))
    assert send(svc, T.checkin("kiosk-1"), {"id": "b", "booking_code": other})[0]["ok"]   # not rate-limited


def test_a_late_booked_client_counts_as_arriving_when_he_checks_in(store: Store) -> None:
    """Issue 15 #9: a 10:00 check-in for a 09:00 slot is an arrival at 10:00 (slip, list and waits), not before."""
    clock = Clock(MORNING + timedelta(hours=1))
    svc = make(store, clock)
    code = book(store, svc.site, "aufenthalt", MORNING)
    ticket = send(svc, T.checkin("kiosk-1"), {"id": "late", "booking_code": code})[0]["ticket"]
    assert ticket["issued_at"] == clock.now.isoformat().replace("+00:00", "Z")
    [issued] = list(store.events())
    assert issued.arrived_at == clock.now and issued.eligible_at >= clock.now and issued.order_at >= clock.now
