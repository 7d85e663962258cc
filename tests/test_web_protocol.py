"""What the core answers a web server: a phone page's ticket by token, a desk page's journey and free slots, and
counter commands that name the desk account (over a real store, SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

import queue_protocol as p
from queue_core.service import Incoming, QueueService
from queue_core.store import Store
from queue_protocol.scan import classify_scan, ticket_link
from queue_rules.site import Site, parse_site

from .engine_helpers import MINI, MORNING, Clock

T = p.Topics("mini")
WEB_REPLY = T.reply("web")


def web_site() -> Site:
    """The test site with a web server, as `[[web]]` in a site file."""
    text = MINI.read_text(encoding="utf-8") + '\n[[web]]\nid = "web"\npublic_url = "https://kia.test:8443"\n'
    return parse_site(text, "mini+web")


def send(svc: QueueService, topic: str, payload: dict, reply_to: str = WEB_REPLY) -> dict:
    pubs = svc.handle(Incoming(topic, json.dumps({"v": 1, **payload}).encode(), reply_to, b"c"))
    answers = [json.loads(x.payload) for x in pubs if x.topic == reply_to]
    assert len(answers) == 1, pubs
    return answers[0]


def check_in(svc: QueueService, cid: str, concern: str = "residence", **kw: object) -> dict:
    answer = send(svc, T.checkin("kiosk-1"), {"id": cid, "concern": concern, **kw}, T.reply("kiosk-1"))
    assert answer["ok"], answer
    return answer["ticket"]


@pytest.fixture
def svc(store: Store) -> QueueService:
    return QueueService(web_site(), store, clock=Clock(MORNING))


def test_a_phone_link_is_read_as_the_ticket_like_the_old_code() -> None:
    token = "AbC_dEf-123456789"
    assert ticket_link("https://kia.test:8443/", token) == f"https://kia.test:8443/t/{token}"
    for text in (f"https://kia.test:8443/t/{token}", f"HTTP://10.0.0.5/t/{token}\r\n", f"ARKADEN-T:{token}"):
        scanned = classify_scan(text)
        assert scanned is not None and (scanned.kind, scanned.value) == ("ticket", token), text
    # anything else on a link is not a ticket (and never a booking code either)
    for text in (f"https://kia.test/x/{token}", f"https://kia.test/t/{token}?a=1", "https://kia.test/t/short",
                 f"ftp://kia.test/t/{token}", f"https://kia.test/t/{token}/more"):
        assert classify_scan(text) is None, text
    with pytest.raises(ValueError):
        ticket_link("https://kia.test/some/path", token)


def test_the_web_server_looks_up_a_phone_page_ticket_by_its_token(svc: QueueService) -> None:
    first = check_in(svc, "k1", language="ar", party_size=3)
    second = check_in(svc, "k2")
    answer = send(svc, T.lookup("web"), {"id": "w1", "ticket_token": second["token"]})
    info = answer["ticket"]
    assert answer["ok"] and info["number"] == second["number"] and info["waiting_ahead"] == 1
    assert info["id"] and info["language"] == "de" and info["status"] == "waiting"
    mine = send(svc, T.lookup("web"), {"id": "w2", "ticket_token": first["token"]})["ticket"]
    assert mine["language"] == "ar" and mine["waiting_ahead"] == 0
    wrong = send(svc, T.lookup("web"), {"id": "w3", "ticket_token": "x" * 22})
    assert not wrong["ok"] and wrong["error"]["code"] == "unknown_ticket"


def test_desk_lookups_come_only_from_the_sites_web_servers(svc: QueueService) -> None:
    check_in(svc, "k1")
    # refused on the error topic; no answer at all, since neither reply topic is the sender's own (only the web
    # server named in a desk topic gets that topic's answers)
    for topic, reply_to in ((T.desk_lookup("kiosk-1"), T.reply("kiosk-1")), (T.desk_lookup("intruder"), WEB_REPLY)):
        pubs = svc.handle(Incoming(topic, b'{"v":1,"id":"d1","free_slots":"aufenthalt"}', reply_to, b"c"))
        assert [(x.topic, json.loads(x.payload)["code"]) for x in pubs] == [(T.error(), "unknown_device")]


def test_a_desk_page_gets_the_current_clients_journey_by_ticket_id(svc: QueueService) -> None:
    check_in(svc, "k1")
    called = send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next", "operator": "mueller"})
    assert called["ok"] and called["number"] == "A-001"
    ticket_id = next(iter(svc.state.tickets))
    send(svc, T.counter_cmd("abh-1"), {"id": "r1", "action": "refer", "to_service": "jobcenter",
                                       "note": "Bitte Antrag prüfen", "operator": "mueller"})
    answer = send(svc, T.desk_lookup("web"), {"id": "d1", "ticket": ticket_id})
    info = answer["ticket"]
    assert answer["ok"] and info["id"] == ticket_id and info["service"] == "jobcenter"
    assert [s["service"] for s in info["stops"]] == ["aufenthalt", "jobcenter", "aufenthalt"]
    assert [s["status"] for s in info["stops"]] == ["done", "waiting", "planned"]
    unknown = send(svc, T.desk_lookup("web"), {"id": "d2", "ticket": "nope"})
    assert not unknown["ok"] and unknown["error"]["code"] == "unknown_ticket"


def test_the_event_log_names_counter_and_desk_account_and_a_button_box_only_its_counter(
        svc: QueueService, store: Store) -> None:
    check_in(svc, "k1")
    check_in(svc, "k2")
    send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next", "operator": "mueller"})
    send(svc, T.counter_cmd("abh-2"), {"id": "n2", "action": "next"})
    actors = {e.type: [] for e in store.events()}
    for e in store.events():
        actors[e.type].append(e.actor)
    assert actors["ticket_called"] == ["counter:abh-1:mueller", "counter:abh-2"]
    bad = send(svc, T.counter_cmd("abh-1"), {"id": "n3", "action": "recall", "operator": "a:b"})
    assert not bad["ok"] and bad["error"]["code"] == "bad_payload"


def test_free_slots_are_later_today_and_tomorrow_and_a_booked_one_is_gone(svc: QueueService) -> None:
    answer = send(svc, T.desk_lookup("web"), {"id": "s1", "free_slots": "leistung"})  # one counter: capacity 1
    slots = p.DeskReply.model_validate(answer).slots
    assert answer["ok"] and slots and all(s > MORNING for s in slots)
    days = {s.astimezone(svc.site.tz).date() for s in slots}
    assert days == {MORNING.date(), MORNING.date() + timedelta(days=1)}
    # book one from a desk: it is no longer offered, its neighbours still are
    check_in(svc, "k1")
    send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next"})
    booked = send(svc, T.counter_cmd("abh-1"), {"id": "b1", "action": "book", "to_service": "leistung",
                                               "slot": slots[3].isoformat()})
    assert booked["ok"], booked
    again = p.DeskReply.model_validate(send(svc, T.desk_lookup("web"), {"id": "s2", "free_slots": "leistung"}))
    assert slots[3] not in again.slots and slots[0] in again.slots and slots[6] in again.slots
    unknown = send(svc, T.desk_lookup("web"), {"id": "s3", "free_slots": "nosuch"})
    assert not unknown["ok"] and unknown["error"]["code"] == "unknown_service"


def test_the_days_figures_never_name_a_desk_account(svc: QueueService, store: Store) -> None:
    from queue_rules.tally import tally_day

    for i in range(3):
        check_in(svc, f"k{i}")
    for i in range(3):
        send(svc, T.counter_cmd("abh-1"), {"id": f"n{i}", "action": "next", "operator": "mueller"})
    day = MORNING.astimezone(svc.site.tz).date()
    figures = tally_day(svc.site, day, list(store.events(day=day)))
    assert figures and all("mueller" not in f"{f.measure} {f.a} {f.b}" and "abh-1" not in f"{f.a} {f.b}"
                           for f in figures)


def test_a_counter_command_past_its_deadline_is_refused_and_changes_nothing(svc: QueueService, store: Store) -> None:
    check_in(svc, "k1")
    late = (MORNING - timedelta(seconds=1)).isoformat()
    answer = send(svc, T.counter_cmd("abh-1"), {"id": "n1", "action": "next", "deadline": late})
    assert not answer["ok"] and answer["error"]["code"] == "expired"
    assert not [e for e in store.events() if e.type == "ticket_called"]
    soon = (MORNING + timedelta(seconds=10)).isoformat()
    assert send(svc, T.counter_cmd("abh-1"), {"id": "n2", "action": "next", "deadline": soon})["ok"]


@pytest.mark.parametrize(("lang", "width"), [("de", 576), ("ar", 384)])
def test_a_printed_slip_carries_the_phone_link_and_a_scanner_still_reads_the_ticket(lang: str, width: int) -> None:
    """The real site file has a web server: the slip's QR code (rendered, decoded back from the pixels) is the
    link to the phone page, and the desk's or kiosk's scanner reads it as the ticket."""
    import dataclasses

    import zxingcpp

    from kiosk_app.printing.slip import render_slip

    from .printing_helpers import site as kia_site
    from .printing_helpers import slip

    site = kia_site()
    base = site.phone_url()
    assert base == "https://kia-arkaden.local"
    printed = dataclasses.replace(slip(lang), link_base=base)
    codes = zxingcpp.read_barcodes(render_slip(printed, width).convert("L"))
    assert [c.text for c in codes] == [f"{base}/t/{printed.token}"]
    scanned = classify_scan(codes[0].text)
    assert scanned is not None and (scanned.kind, scanned.value) == ("ticket", printed.token)
