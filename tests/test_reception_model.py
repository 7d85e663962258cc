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
    assert ("Aufenthalt: Wartezeitziel 45 min überschritten (längste Wartezeit 50 min, geschätzt 30 min) – "
            "Schalter öffnen oder Kunden verschieben") in alerts
    box = next(a for a in alerts if a.startswith("Tastenbox an "))
    assert box.endswith(": offline – Strom und Netzwerkkabel prüfen, Gerät neu starten")
    assert "Drucker printer-1: Papier geht zur Neige – neue Rolle bereitlegen" in alerts
    # the core's refusal in words from its stable code, not its English message
    m.apply("error", {"v": 1, "topic": "x", "code": "wrong_state", "message": "ticket J-001 is waiting",
                      "at": NOW.isoformat()})
    refused = "11:00 Befehl abgelehnt: das Ticket ist gerade nicht in einem Zustand, der das erlaubt"
    assert refused in [a.text for a in m.alerts(NOW)]
    assert refused not in [a.text for a in m.alerts(NOW + timedelta(hours=1))]
    assert all("is waiting" not in a.text for a in m.alerts(NOW))


def test_reception_ticket_rows_carry_what_reception_needs() -> None:
    rows = fed().ticket_rows(NOW)
    assert (rows[0]["number"], rows[0]["language"], rows[0]["waited"]) == ("A-001", "Arabisch", "50 min")
    assert rows[2]["status"] == "nicht erschienen"


def test_reception_actions_build_the_protocols_command() -> None:
    m = fed()
    with pytest.raises(ValueError, match="kein Ticket"):
        m.command("cancel")
    assert not any(m.allowed(a) for a in ("move", "priority", "cancel", "return"))  # nothing chosen: no action
    m.select("t-A-001")
    assert m.allowed("move") and m.allowed("priority") and not m.allowed("return")
    assert m.command("move", to_service="jobcenter") == {"action": "move", "ticket": "t-A-001", "operator": "frau-k",
                                                         "to_service": "jobcenter"}
    assert m.command("priority", priority=5, reason="Familie mit Kleinkind")["priority"] == 5
    with pytest.raises(ValueError):
        m.command("priority", priority=12)
    with pytest.raises(ValueError, match="Zieldienst"):
        m.command("move")
    with pytest.raises(ValueError, match="Vorrang wählen"):
        m.command("priority")   # no priority is preselected
    m.select("t-J-001")
    assert m.allowed("return") and not m.allowed("move")
    assert m.command("return") == {"action": "return", "ticket": "t-J-001", "operator": "frau-k"}


def test_reception_answers_and_bad_messages() -> None:
    m = fed()
    m.took("cancel", "A-001", p.CommandResult(id="c-1", ok=True))
    assert (m.result, m.result_ok) == ("Stornieren A-001: erledigt", True)
    m.took("cancel", "A-001", p.CommandResult(id="c-2", ok=False, error=p.ErrorInfo(code="wrong_state",
                                                                                     message="ticket A-001 is done")))
    assert m.result == ("Stornieren A-001: abgelehnt – das Ticket ist gerade nicht in einem Zustand, der das "
                        "erlaubt") and not m.result_ok
    m.took("cancel", "A-001", p.CommandResult(id="c-3", ok=False, error=p.ErrorInfo(code="new_code", message="x")))
    assert m.result == "Stornieren A-001: abgelehnt – die Zentrale hat abgelehnt (Fehlercode new_code)"
    m.took("cancel", "A-001", None)
    assert "keine Antwort" in m.result
    assert not m.apply("tickets", {"v": 1, "tickets": "x"}) and not m.apply("call", {})
    m.apply("event", {"v": 1, "seq": 9, "type": "ticket_cancelled", "at": NOW.isoformat(),
                      "actor": "reception:reception:frau-k", "data": {"ticket": "t-A-001"}})
    m.apply("event", {"v": 1, "seq": 10, "type": "ticket_called", "at": NOW.isoformat(), "actor": "counter:jc-1",
                      "data": {"ticket": "t-A-002"}})
    assert m.log_lines() == ["11:00  frau-k: A-001 storniert"]


def test_reception_alerts_when_the_printer_does_not_answer_or_offline_tickets_were_refused() -> None:
    m = fed()
    at = NOW.isoformat()
    m.apply("presence", {"v": 1, "device": "kiosk-1", "kind": "kiosk", "online": True, "at": at,
                         "detail": {"paper": "unknown", "cover": "unknown", "printer_online": "unknown",
                                    "printer_error": "no answer to DLE EOT", "outbox_rejected": "2"}})
    row = {r.device: r for r in m.device_rows()}["printer-1"]
    assert row.problem and row.online is None and row.error == "no answer to DLE EOT"
    alerts = [a.text for a in m.alerts(NOW)]
    assert "Drucker printer-1: antwortet nicht – Drucker einschalten, Kabel prüfen" in alerts
    assert "Drucker printer-1: Papierstand unbekannt – Drucker ansehen" in alerts
    assert "Drucker printer-1: meldet „no answer to DLE EOT“ – Drucker ansehen" in alerts
    assert ("Kiosk kiosk-1: 2 Offline-Ticket(s) von der Zentrale abgelehnt – diese Kunden am Empfang neu "
            "einchecken") in alerts


def test_reception_sees_late_clients_and_missed_journey_stops() -> None:
    m = fed()
    m.apply("tickets", {"v": 1, "at": NOW.isoformat(), "tickets": [
        row("A-003", "aufenthalt", 2, status="parked", booked=True, see_reception=True),
        row("J-003", "jobcenter", 4, booked=True, missed=1, journey_stops=1)]})
    rows = {r["number"]: r for r in m.ticket_rows(NOW)}
    assert rows["A-003"]["details"].startswith("Aufenthalt · zum Empfang (verspätet)")
    assert "1 Termin(e) verpasst" in rows["J-003"]["details"] and "noch 1 Station(en)" in rows["J-003"]["details"]
    alerts = [a.text for a in m.alerts(NOW)]
    assert any(a.startswith("A-003: zu spät zum Termin") for a in alerts)
    assert "J-003: 1 Termin(e) der Reise verpasst, weiter bei Jobcenter – neuen Termin anbieten" in alerts
    m.select("t-A-003")
    assert m.allowed("return")  # reception puts the late client back in the queue


def test_reception_filter_shows_one_agencys_tickets_and_lets_go_of_a_hidden_choice() -> None:
    m = fed()
    m.select("t-J-001")
    m.set_filter("abh")
    assert {t.number for t in m.visible_tickets()} == {"A-001", "A-002"}
    assert m.selected is None   # J-001 is not in the list any more: nothing is chosen
    rows = {r.agency: r for r in m.agency_rows(NOW)}
    assert (rows["abh"].waiting, rows["abh"].longest_min, rows["abh"].breached, rows["abh"].selected) == (
        2, 50, True, True)
    m.set_filter(None)
    assert len(m.visible_tickets()) == 4
    with pytest.raises(KeyError):
        m.set_filter("nobody")


def test_reception_speaks_english_from_its_catalogue() -> None:
    m = fed()
    m.set_language("en")
    rows = m.ticket_rows(NOW)
    assert (rows[0]["language"], rows[2]["status"]) == ("Arabic", "no-show")
    m.apply("event", {"v": 1, "seq": 9, "type": "ticket_moved", "at": NOW.isoformat(),
                      "actor": "reception:reception:frau-k", "data": {"ticket": "t-A-002", "to_service": "jobcenter"}})
    assert m.log_lines() == ["11:00  frau-k: A-002 handed over to Job centre"]   # the site file's English name
    m.set_language("de")   # the log is kept as words to say, so it follows the language
    assert m.log_lines() == ["11:00  frau-k: A-002 an Jobcenter übergeben"]
    with pytest.raises(ValueError, match="reception speaks de, en"):
        m.set_language("ar")


def test_reception_log_names_a_ticket_that_closed_and_never_shows_an_event_type() -> None:
    m = fed()
    m.apply("tickets", {"v": 1, "at": NOW.isoformat(), "tickets": []})   # A-001 is gone (cancelled)
    for seq, kind in enumerate(("ticket_cancelled", "ticket_returned", "priority_changed", "something_new")):
        m.apply("event", {"v": 1, "seq": seq, "type": kind, "at": NOW.isoformat(),
                          "actor": "reception:reception:frau-k", "data": {"ticket": "t-A-001", "priority": 4}})
    m.apply("event", {"v": 1, "seq": 9, "type": "ticket_cancelled", "at": NOW.isoformat(),
                      "actor": "reception:reception:frau-k", "data": {"ticket": "t-never-seen"}})
    assert m.log_lines() == ["11:00  frau-k: ein Ticket storniert", "11:00  frau-k: A-001 geändert",
                             "11:00  frau-k: Vorrang von A-001 auf 4 gesetzt", "11:00  frau-k: A-001 wieder eingereiht",
                             "11:00  frau-k: A-001 storniert"]
    assert not any("_" in line for line in m.log_lines())


def test_alerts_name_devices_as_the_staff_call_them() -> None:
    from display_app.reception_alerts import device_name
    from display_app.reception_texts import Texts
    from host_support.site_file import load_site

    from .test_site import KIA

    site, de = load_site(KIA), Texts("de")
    assert device_name(site, "drucker-eingang", "printer", de) == "Drucker am Eingang"
    assert device_name(site, "anzeige-2og", "display", de) == "Anzeige im 2. OG"
    # a device without a name in the site file is named by its kind and id
    assert device_name(load_site(MINI), "kiosk-1", "kiosk", de) == "Kiosk kiosk-1"
