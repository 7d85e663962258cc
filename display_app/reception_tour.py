"""`arkaden reception --tour DIR`: reception on a busy morning (every counter, 150 open tickets with long notes,
a dozen alerts of different kinds, an agency filter, a ticket chosen near the end of the list), as PNG in each
of reception's languages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from queue_rules.site import Site
from ui_common import drive

from .reception_model import ReceptionModel
from .reception_texts import LANGUAGES

OPEN_TICKETS = 150
NOTES = (
    "Kommt mit Bescheid vom 12.11., Widerspruchsfrist läuft Freitag ab; bitte Kopie des Mietvertrags und der "
    "Meldebescheinigung beilegen, Original hat die Klientin dabei.",
    "Übergabe vom Case Management: Familie mit drei Kindern, Wohnungsverlust droht, Termin beim Jobcenter "
    "vorziehen, Dolmetscherin für Farsi ist bis 11:30 im Haus.",
    "Anerkennungsverfahren läuft seit Juli, Nachweise der Berufserfahrung fehlen noch; Klient bringt die "
    "übersetzten Zeugnisse mit, bitte Eingang bestätigen.",
    "Rollstuhl, nur Erdgeschoss oder Aufzug; Begleitperson spricht Deutsch.",
    "",
    # typed by a counsellor: shown as it is, never read as Kivy markup ([size=x] would stop the monitor)
    "Formular [size=x] [font=nope] [b]A1[/b] mitbringen",
)
ALERT_PRESENCE = {   # device: (online, detail): paper out, cover open + paper low, refused offline tickets
    "kiosk-eingang": (True, {"paper": "out", "cover": "closed", "printer_online": "yes"}),
    "kiosk-1og": (True, {"paper": "low", "cover": "open", "printer_online": "yes", "outbox_rejected": "2"}),
    "box-cm-2": (True, {"port": "missing"}),
    "box-jobcenter-2": (False, {}),
    "anzeige-2og": (False, {}),
}


def busy_morning(site: Site, now: datetime) -> list[tuple[str, dict[str, Any]]]:
    """The messages (topic family, payload) of a busy morning, as the core and the devices would send them."""
    at = now.isoformat()
    msgs: list[tuple[str, dict[str, Any]]] = []
    langs = ["ar", "fa", "uk", "ps", "tr", "ru", "kmr", "ro", "fr", "ti", "de", "en"]
    counters = list(site.counters)
    # 23 counters: most with a client, some free, paused or closed
    states = ["serving", "serving", "open", "serving", "paused", "serving", "closed", "serving", "serving", "open",
              "serving", "serving", "paused", "serving", "closed", "serving", "serving", "open", "serving", "serving",
              "serving", "closed", "serving"]
    tickets: list[dict[str, Any]] = []
    current = []
    numbers: dict[str, int] = {}

    def number_for(service: str) -> str:
        prefix = site.agency_of_service(service).prefix
        numbers[prefix] = numbers.get(prefix, 0) + 1
        return f"{prefix}-{numbers[prefix]:03d}"

    def ticket(service: str, status: str, minutes: int, i: int, **kw: Any) -> dict[str, Any]:
        return {"id": f"t-{len(tickets):03d}", "number": number_for(service), "service": service, "status": status,
                "priority": 3 if i % 23 == 0 else 0, "arrived_at": (now - timedelta(minutes=minutes)).isoformat(),
                "language": langs[i % len(langs)], "party_size": 1 + (i % 9 == 0) * 3, "interpreter": i % 4 == 0,
                "step_free": i % 11 == 0, "booked": i % 5 == 0, "note": NOTES[i % len(NOTES)],
                "journey_stops": 1 if i % 13 == 0 else 0, **kw}

    for i, (c, state) in enumerate(zip(counters, states, strict=False)):
        number = ""
        if state == "serving":
            t = ticket(c.services[0], "serving" if i % 3 else "called", 20 + i, i, counter=c.id)
            tickets.append(t)
            number = t["number"]
            room = site.room(c.room)
            current.append({"number": number, "counter": c.id, "counter_label": c.label, "room": room.number,
                            "floor": room.floor, "agency": site.agency_of_service(c.services[0]).short,
                            "at": (now - timedelta(minutes=3 + 2 * i)).isoformat()})
        msgs.append(("counter_state", {"v": 1, "counter": c.id, "label": c.label, "room": site.room(c.room).number,
                                       "status": "open" if state == "serving" else state, "number": number or None,
                                       "waiting": 0, "at": at}))
    # the rest wait; the Ausländeramt's queues are the longest (the filter shows them)
    weights = {s.id: (6 if s.agency == "auslaenderamt" else 2) for s in site.services}
    pool = [sid for sid, w in weights.items() for _ in range(w)]
    i = len(tickets)
    while len(tickets) < OPEN_TICKETS + 1:
        service = pool[i % len(pool)]
        extra: dict[str, Any] = {}
        status = "waiting"
        if i % 37 == 5:
            status, extra = "parked", {"see_reception": True, "booked": True}
        elif i % 41 == 7:
            status = "no_show"
        elif i % 53 == 3:
            extra = {"missed": 1, "journey_stops": 1, "booked": True}
        minutes = 50 + i % 9 if service == "beschaeftigung" else 2 + (i * 7) % 40   # one queue past the target
        tickets.append(ticket(service, status, minutes, i, **extra))
        i += 1
    gone = tickets.pop(43)   # cancelled: no longer open, the log still names its number
    msgs.insert(0, ("tickets", {"v": 1, "at": at, "tickets": [gone]}))
    msgs.append(("tickets", {"v": 1, "at": at, "tickets": tickets, "more": 12}))
    for s in site.services:
        waiting = sum(1 for t in tickets if t["service"] == s.id and t["status"] == "waiting")
        msgs.append(("queue", {"v": 1, "service": s.id, "agency": s.agency, "service_name": s.name,
                               "waiting": waiting, "estimated_wait_min": 2 * waiting + 5, "open_counters": 1,
                               "at": at}))
    msgs.append(("board", {"v": 1, "at": at, "current": current, "recent": [], "queues": []}))
    msgs.append(("presence", {"v": 1, "device": "core", "kind": "core", "online": True, "at": at}))
    for device, kind in site.device_ids().items():
        online, detail = ALERT_PRESENCE.get(device, (True, {"port": "connected"} if kind == "button_box" else {}))
        if kind == "kiosk" and device not in ALERT_PRESENCE:
            detail = {"paper": "ok", "cover": "closed", "printer_online": "yes"}
        if kind != "printer":
            msgs.append(("presence", {"v": 1, "device": device, "kind": kind, "online": online, "at": at,
                                      "detail": detail}))
    msgs.append(("error", {"v": 1, "topic": "x", "code": "wrong_state", "message": "ticket is waiting",
                           "at": (now - timedelta(minutes=2)).isoformat()}))
    for seq, (kind, data) in enumerate((("ticket_moved", {"ticket": tickets[40]["id"], "to_service": "jobcenter"}),
                                        ("priority_changed", {"ticket": tickets[41]["id"], "priority": 5}),
                                        ("ticket_cancelled", {"ticket": gone["id"]}),
                                        ("ticket_returned", {"ticket": tickets[42]["id"]}))):
        msgs.append(("event", {"v": 1, "seq": seq + 1, "type": kind, "actor": "reception:empfang:frau-k",
                               "at": (now - timedelta(minutes=20 - 4 * seq)).isoformat(), "data": data}))
    return msgs


def feed(model: ReceptionModel, now: datetime) -> None:
    for family, data in busy_morning(model.site, now):
        if not model.apply(family, data):
            raise ValueError(f"the tour's {family} message does not fit the protocol")
    model.connected = True


Inspect = Callable[[Any, Path], Awaitable[None]]


def render(app: Any, out: Path, languages: tuple[str, ...] = LANGUAGES, inspect: Inspect | None = None) -> list[Path]:
    """Run inside the app: the busy morning, then per language: the filtered list with a ticket chosen near its
    end, and the whole list with nothing chosen. ``inspect(app, png)`` runs after each screenshot (tests)."""
    made: list[Path] = []

    async def shot(app: Any, name: str) -> None:
        app.screen.show(app.model.now())
        await drive.frames(3)
        path = await drive.screenshot(out / name)
        made.append(path)
        if inspect is not None:
            await inspect(app, path)

    async def script(app: Any) -> None:
        model: ReceptionModel = app.model
        site = model.site
        now = datetime.now(site.tz).replace(hour=10, minute=42, second=0, microsecond=0)
        model.clock = lambda: now
        feed(model, now)
        for lang in languages:
            model.set_language(lang)
            app.screen.retext()
            app.screen.filter_by("auslaenderamt")
            rows = model.visible_tickets()
            app.screen.pick(rows[-2].id)
            await drive.frames(2)
            app.screen.show(model.now())      # the list redraws: the chosen ticket stays in view
            await shot(app, f"reception-{lang}-filtered.png")
            app.screen.filter_by("")
            model.select(None)
            app.screen.pick(model.visible_tickets()[-1].id)
            await shot(app, f"reception-{lang}-chosen-last.png")
            app.screen.pick(model.visible_tickets()[-1].id)   # tapped again: let go, nothing chosen
            await shot(app, f"reception-{lang}-nothing-chosen.png")

    drive.run_driven(app, script)
    return made
