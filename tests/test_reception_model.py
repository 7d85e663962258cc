"""The reception monitor's view model without a window: target breaches, devices and alerts, actions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import queue_protocol as p
from display_app.reception_model import ReceptionModel
from queue_rules.site import parse_site

from .engine_helpers import MINI

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def site():  # type: ignore[no-untyped-def]
    text = MINI.read_text().replace('[[kiosks]]\nid = "kiosk-1"',
                                    '[[printers]]\nid = "printer-1"\nurl = "dummy://"\n\n'
                                    '[[kiosks]]\nid = "kiosk-1"\nprinter = "printer-1"')
    return parse_site(text)


def row(number: str, service: str, minutes: int, status: str = "waiting", **kw: object) -> dict:
    return {"id": f"t-{number}", "number": number, "service": service, "status": status, "priority": 0,
            "arrived_at": (NOW - timedelta(minutes=minutes)).isoformat(), "language": "ar", "party_size": 1,
            "interpreter": False, "step_free": False, "booked": False, "note": "", **kw}


def fed() -> ReceptionModel:
    m = ReceptionModel(site(), "reception", "frau-k")
    at = NOW.isoformat()
    m.apply("tickets", {"v": 1, "at": at, "tickets": [
        row("A-001", "aufenthalt", 50), row("A-002", "aufenthalt", 5), row("J-001", "jobcenter", 3, status="no_show"),
        row("J-002", "jobcenter", 1, status="called", counter="jc-1")]})
    for svc, agency, waiting, est in (("aufenthalt", "abh", 2, 30), ("jobcenter", "jc", 0, 0)):
        m.apply("queue", {"v": 1, "service": svc, "agency": agency, "service_name": {"de": svc}, "waiting": waiting,
                          "estimated_wait_min": est, "open_counters": 1, "at": at})
    m.apply("counter_state", {"v": 1, "counter": "jc-1", "label": "Platz 1", "room": "1.07", "status": "open",
                              "number": "J-002", "waiting": 0, "at": at})
    m.apply("board", {"v": 1, "at": at, "recent": [], "queues": [], "current": [
        {"number": "J-002", "counter": "jc-1", "counter_label": "Platz 1", "room": "1.07", "floor": 1,
         "agency": "JC", "at": (NOW - timedelta(minutes=7)).isoformat()}]})
    m.apply("presence", {"v": 1, "device": "kiosk-1", "kind": "kiosk", "online": True, "at": at,
                         "detail": {"paper": "low", "cover": "closed", "printer_online": "yes"}})
    m.apply("presence", {"v": 1, "device": "box-abh-1", "kind": "button_box", "online": False, "at": at})
    m.apply("presence", {"v": 1, "device": "core", "kind": "core", "online": True, "at": at})
    return m


def test_reception_queues_show_the_longest_wait_and_the_breached_target() -> None:
    rows = {r.service: r for r in fed().queue_rows(NOW)}
    assert (rows["aufenthalt"].waiting, rows["aufenthalt"].longest_min, rows["aufenthalt"].breached) == (2, 50, True)
    assert (rows["jobcenter"].longest_min, rows["jobcenter"].breached) == (None, False)
    assert rows["leistung"].waiting == 0


def test_reception_counters_show_how_long_they_serve() -> None:
    rows = {r.counter: r for r in fed().counter_rows(NOW)}
    assert (rows["jc-1"].status, rows["jc-1"].number, rows["jc-1"].serving_min) == ("open", "J-002", 7)
    assert (rows["abh-1"].status, rows["abh-1"].number, rows["abh-1"].serving_min) == ("closed", "", None)


def test_reception_devices_and_alerts() -> None:
    m = fed()
    rows = {r.device: r for r in m.device_rows()}
    assert next(iter(rows)) == "core"
    assert (rows["printer-1"].online, rows["printer-1"].detail, rows["printer-1"].problem) == (
        True, "Papier geht zur Neige", True)
    assert (rows["box-abh-1"].online, rows["display-1"].online) == (False, None)
    alerts = [a.text for a in m.alerts(NOW)]
    assert "Aufenthalt: Wartezeitziel 45 min überschritten (längste 50 min, geschätzt 30 min)" in alerts
    assert "box-abh-1 (button_box) offline" in alerts
    assert "printer-1: Papier geht zur Neige" in alerts
    m.apply("error", {"v": 1, "topic": "x", "code": "wrong_state", "message": "ticket J-001 is waiting",
                      "at": NOW.isoformat()})
    assert "abgelehnt: ticket J-001 is waiting" in [a.text for a in m.alerts(NOW)]
    assert "abgelehnt: ticket J-001 is waiting" not in [a.text for a in m.alerts(NOW + timedelta(hours=1))]


def test_reception_ticket_rows_carry_what_reception_needs() -> None:
    rows = fed().ticket_rows(NOW)
    assert rows[0]["number"] == "A-001" and rows[0]["language"] == "Arabisch" and rows[0]["waited"] == "50 min"
    assert rows[2]["status"] == "nicht erschienen"


def test_reception_actions_build_the_protocols_command() -> None:
    m = fed()
    with pytest.raises(ValueError, match="kein Ticket"):
        m.command("cancel")
    m.select("t-A-001")
    assert m.allowed("move") and m.allowed("priority") and not m.allowed("return")
    assert m.command("move", to_service="jobcenter") == {"action": "move", "ticket": "t-A-001", "operator": "frau-k",
                                                         "to_service": "jobcenter"}
    assert m.command("priority", priority=5, reason="Familie mit Kleinkind")["priority"] == 5
    with pytest.raises(ValueError):
        m.command("priority", priority=12)
    with pytest.raises(ValueError, match="Zieldienst"):
        m.command("move")
    m.select("t-J-001")
    assert m.allowed("return") and not m.allowed("move")
    assert m.command("return") == {"action": "return", "ticket": "t-J-001", "operator": "frau-k"}


def test_reception_answers_and_bad_messages() -> None:
    m = fed()
    m.took("cancel", "A-001", p.CommandResult(id="c-1", ok=True))
    assert (m.result, m.result_ok) == ("cancel A-001: erledigt", True)
    m.took("cancel", "A-001", p.CommandResult(id="c-2", ok=False, error=p.ErrorInfo(code="wrong_state",
                                                                                     message="ticket A-001 is done")))
    assert "abgelehnt – ticket A-001 is done" in m.result and not m.result_ok
    m.took("cancel", "A-001", None)
    assert "keine Antwort" in m.result
    assert not m.apply("tickets", {"v": 1, "tickets": "x"}) and not m.apply("call", {})
    m.apply("event", {"v": 1, "seq": 9, "type": "ticket_cancelled", "at": NOW.isoformat(),
                      "actor": "reception:reception:frau-k", "data": {"ticket": "t-A-001"}})
    m.apply("event", {"v": 1, "seq": 10, "type": "ticket_called", "at": NOW.isoformat(), "actor": "counter:jc-1",
                      "data": {"ticket": "t-A-002"}})
    assert list(m.actions) == ["11:00  frau-k: ticket_cancelled A-001"]


def test_reception_alerts_when_the_printer_does_not_answer_or_offline_tickets_were_refused() -> None:
    m = fed()
    at = NOW.isoformat()
    m.apply("presence", {"v": 1, "device": "kiosk-1", "kind": "kiosk", "online": True, "at": at,
                         "detail": {"paper": "unknown", "cover": "unknown", "printer_online": "unknown",
                                    "printer_error": "no answer to DLE EOT", "outbox_rejected": "2"}})
    row = {r.device: r for r in m.device_rows()}["printer-1"]
    assert row.problem and row.online is None and "antwortet nicht" in row.detail and "DLE EOT" in row.detail
    alerts = [a.text for a in m.alerts(NOW)]
    assert any(a.startswith("printer-1: Papier unbekannt, antwortet nicht") for a in alerts)
    assert "kiosk-1: 2 Offline-Ticket(s) vom Kern abgelehnt" in alerts


def test_reception_sees_late_clients_and_missed_journey_stops() -> None:
    m = fed()
    m.apply("tickets", {"v": 1, "at": NOW.isoformat(), "tickets": [
        row("A-003", "aufenthalt", 2, status="parked", booked=True, see_reception=True),
        row("J-003", "jobcenter", 4, booked=True, missed=1, journey_stops=1)]})
    rows = {r["number"]: r for r in m.ticket_rows(NOW)}
    assert rows["A-003"]["needs"].startswith("zum Empfang (verspätet)")
    assert "1 Termin(e) verpasst" in rows["J-003"]["needs"] and "noch 1 Station(en)" in rows["J-003"]["needs"]
    alerts = [a.text for a in m.alerts(NOW)]
    assert any(a.startswith("A-003: zu spät zum Termin") for a in alerts)
    assert "J-003: 1 Termin(e) der Reise verpasst, weiter bei Jobcenter" in alerts
    m.select("t-A-003")
    assert m.allowed("return")  # reception puts the late client back in the queue
