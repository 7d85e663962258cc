"""The web server's parts without a browser or broker: the page models, the routes through Starlette's test
client with the core's answers played by the test, the live phone hub, and what the access log may see."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

import queue_protocol as p
from queue_rules.site import Site
from web_app.accounts import AccountStore
from web_app.app import make_app, redacted
from web_app.context import Web
from web_app.desk_view import desk_view
from web_app.feed import CoreFeed, Snapshot
from web_app.phone_view import phone_view

from .engine_helpers import MORNING, Clock
from .web_helpers import web_site, web_site_text

TOKEN = "Tok_en-1234567890"


def info(site: Site, **kw: Any) -> p.TicketInfo:
    base: dict[str, Any] = {"id": "t1", "language": "ar", "number": "A-007", "service": "aufenthalt",
                            "agency": "abh", "status": "waiting", "rooms": ["E.01"], "floor": 0,
                            "waiting_ahead": 3, "estimated_wait_min": 30}
    return p.TicketInfo.model_validate({**base, **kw})


def call(number: str = "A-007") -> p.TicketCalled:
    return p.TicketCalled(number=number, counter="abh-2", counter_label="Schalter 2", room="E.01", floor=0,
                          agency="ABH", at=MORNING)


def test_the_phone_model_believes_a_call_newer_than_the_last_answer() -> None:
    site = web_site()
    waiting = phone_view(site, info(site), "ar", MORNING)
    assert (waiting.state, waiting.ahead, waiting.room) == ("waiting", 3, "E.01")
    assert waiting.directions == "الطابق الأرضي، يسارًا"  # the room's way in his language
    called = phone_view(site, info(site), "ar", MORNING, call())
    assert (called.state, called.room, called.counter) == ("called", "E.01", "Schalter 2")
    later = phone_view(site, info(site, queued_from=(MORNING + timedelta(hours=2)).isoformat()), "de", MORNING)
    assert later.state == "later" and later.later_from == "11:00"
    assert phone_view(site, info(site, status="no_show"), "de", MORNING).state == "missed"
    assert phone_view(site, info(site, status="done"), "de", MORNING).state == "closed"


def test_the_desk_model_shows_the_counters_client_and_only_its_services_waiting() -> None:
    site = web_site()
    rows = [
        p.TicketRow(id="t1", number="A-001", service="aufenthalt", status="called", priority=0, arrived_at=MORNING,
                    counter="abh-1", language="ar", party_size=2, interpreter=True, step_free=False, booked=False,
                    note="Bitte Pass prüfen"),
        p.TicketRow(id="t2", number="A-002", service="aufenthalt", status="waiting", priority=0, arrived_at=MORNING,
                    language="de", party_size=1, interpreter=False, step_free=False, booked=False, note="secret"),
        p.TicketRow(id="t3", number="J-001", service="jobcenter", status="waiting", priority=0, arrived_at=MORNING,
                    language="fa", party_size=1, interpreter=True, step_free=False, booked=False, note=""),
    ]
    snap = Snapshot(tickets=p.TicketList(tickets=rows, at=MORNING), core_online=True,
                    counters={"abh-1": p.CounterState(counter="abh-1", label="Schalter 1", room="E.01",
                                                      status="open", number="A-001", waiting=1, at=MORNING)})
    view = desk_view(site, snap, "abh-1", lang="de", now=MORNING + timedelta(minutes=12))
    assert view.current is not None and view.current.number == "A-001" and view.current.note == "Bitte Pass prüfen"
    assert (view.current.language, view.current.language_code, view.current.party_size) == ("Arabisch", "ar", 2)
    assert [w.number for w in view.waiting] == ["A-002"] and view.waiting[0].minutes == 12
    assert "recall" in view.actions and "resume" not in view.actions and view.online
    empty = desk_view(site, snap, "abh-2", lang="en", now=MORNING)
    assert empty.current is None and empty.actions == ("next", "pause", "resume")  # closed: resume opens it


class PlayedCore:
    """The core's answers, played by the test: what each question gets, and every command sent."""

    def __init__(self, answers: dict[type, Any]):
        self.answers, self.sent = answers, []

    async def ask(self, topic: str, command: p.Command, reply: type, **kw: Any) -> Any:
        self.sent.append((topic, command))
        answer = self.answers.get(type(command))
        return answer(command) if callable(answer) else answer


@pytest.fixture
def app_and_core(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, PlayedCore, Web]:
    site = web_site()
    clock = Clock()
    feed = CoreFeed(site, "127.0.0.1", 1, device_id="web", clock=clock)  # never started: no broker here
    accounts = AccountStore(tmp_path / "users.json", hasher=PasswordHasher(time_cost=1, memory_cost=8,
                                                                          parallelism=1))
    accounts.add("amt", "abh", "amt-passwort-123")
    web = Web(site=site, feed=feed, accounts=accounts, clock=clock, secure_cookies=False)
    core = PlayedCore({})
    monkeypatch.setattr(feed, "ask", core.ask)
    feed.link.connected.set()  # as if connected to a broker, with the core online
    feed.snapshot.core_online = True
    return TestClient(make_app(web), base_url="http://localhost"), core, web


def _log_in(client: TestClient) -> str:
    page = client.get("/login")
    token = page.text.split('name="csrf" value="')[1].split('"')[0]
    assert client.post("/login", data={"name": "amt", "password": "amt-passwort-123", "csrf": token},
                       follow_redirects=False).status_code == 303
    desk = client.get("/desk/abh-1")
    return desk.text.split('data-csrf="')[1].split('"')[0]


def test_a_desk_action_names_the_account_and_says_plainly_what_happened(app_and_core) -> None:
    client, core, web = app_and_core
    csrf = _log_in(client)
    core.answers[p.CounterCommand] = lambda c: p.CommandResult(id=c.id, ok=True, number="A-001")
    r = client.post("/desk/abh-1/act", data={"action": "next", "to_service": "jobcenter", "csrf": csrf},
                    headers={"Accept": "application/json"})
    topic, command = core.sent[-1]
    assert r.json()["ok"] and "A-001" in r.json()["message"] and topic.endswith("/cmd/counter/abh-1")
    assert command.operator == "amt" and command.to_service is None  # only handovers carry a target
    core.answers[p.CounterCommand] = lambda c: p.CommandResult(
        id=c.id, ok=False, error=p.ErrorInfo(code="no_current_ticket", message="counter abh-1 has no client"))
    assert client.post("/desk/abh-1/act", data={"action": "done", "csrf": csrf},
                       headers={"Accept": "application/json"}).json()["message"] == "Am Platz ist gerade niemand."
    core.answers[p.CounterCommand] = None  # the core does not answer in time
    assert "nicht ausgeführt" in client.post("/desk/abh-1/act", data={"action": "done", "csrf": csrf},
                                             headers={"Accept": "application/json"}).json()["message"]
    assert command.deadline is not None and command.deadline > web.clock()  # the core refuses it after that
    # without a broker the action is not even sent: a queued command must not run after "not carried out"
    web.feed.link.connected.clear()
    sent = len(core.sent)
    assert "nicht ausgeführt" in client.post("/desk/abh-1/act", data={"action": "next", "csrf": csrf},
                                             headers={"Accept": "application/json"}).json()["message"]
    assert len(core.sent) == sent
    web.feed.link.connected.set()
    # a password reset or a disabled account ends the session at once
    web.accounts.reset("amt", "neues-passwort-456")
    assert client.get("/desk/abh-1", follow_redirects=False).headers["location"] == "/login"


def test_every_answer_has_the_security_headers_and_the_log_never_sees_a_token(app_and_core, caplog) -> None:
    client, core, _web = app_and_core
    core.answers[p.LookupBooking] = p.LookupReply(id="x", ok=False, error=p.ErrorInfo(code="unknown_ticket",
                                                                                    message="no"))
    with caplog.at_level(logging.INFO, logger="arkaden.web.access"):
        r = client.get(f"/t/{TOKEN}")
    assert r.status_code == 404 and TOKEN not in r.text
    for header in ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"):
        assert header in r.headers, header
    assert r.headers["referrer-policy"] == "no-referrer"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(("arkaden", "uvicorn")))
    assert TOKEN not in ours and "GET /t/… 404" in ours  # (the test client's own httpx log has the address)
    assert redacted(f"/t/{TOKEN}/events") == "/t/…/events"


def test_the_phone_hub_pushes_a_call_at_once_and_asks_the_core_once_per_ticket(app_and_core) -> None:
    _client, core, web = app_and_core
    site = web.site
    asked = []

    def answer(c: p.LookupBooking) -> p.LookupReply:
        asked.append(c.ticket_token)
        return p.LookupReply(id=c.id, ok=True, ticket=info(site))

    core.answers[p.LookupBooking] = answer

    async def scenario() -> list[str]:
        web.feed._loop = asyncio.get_running_loop()
        watch = await web.phones.lookup(TOKEN)
        assert watch is not None
        subs = [web.phones.join(watch, lambda w: f"state={'called' if w.call else 'waiting'}") for _ in range(3)]
        again = await web.phones.lookup(TOKEN)  # a second browser of the same ticket: no second question
        assert again is watch and asked == [TOKEN]
        web.feed._deliver("call", call("A-099"))  # someone else's number: nothing
        web.feed._deliver("call", call())
        return [s.queue.get_nowait() for s in subs]

    assert asyncio.run(scenario()) == ["state=called"] * 3


def test_a_page_the_server_redraws_does_not_keep_an_idle_session_alive(app_and_core) -> None:
    client, _core, web = app_and_core
    _log_in(client)
    session_id = client.cookies["arkaden_desk"]
    start = web.clock()
    for minutes in (20, 40, 59):  # redraws after check-ins elsewhere: `peek`, which is no request of the user
        assert web.sessions.peek(session_id, start + timedelta(minutes=minutes)) is not None
    web.clock.now = start + timedelta(minutes=61)  # the test's Clock
    assert web.sessions.peek(session_id, web.clock()) is None
    assert client.get("/desk/abh-1", follow_redirects=False).headers["location"] == "/login"


@pytest.mark.parametrize(("extra", "says"), [
    ([], "give --https-cert/--https-key"),
    (["--insecure-http", "--listen", "0.0.0.0:8080"], "--insecure-http listens on this machine only"),
    (["--https-cert", "/nonexistent.crt", "--https-key", "/nonexistent.key"], "--https-cert /nonexistent.crt: no such"),
    (["--https-cert", __file__, "--https-key", __file__], "not a matching PEM certificate and key"),
    (["--device", "nosuch", "--insecure-http"], "no web server 'nosuch'"),
])
def test_arkaden_web_refuses_a_bad_start_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      extra: list[str], says: str) -> None:
    from arkaden_cli.main import main

    site = tmp_path / "site.toml"
    site.write_text(web_site_text(), encoding="utf-8")
    assert main(["web", "--site", str(site), "--users", str(tmp_path / "u.json"), *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) == 1, err
