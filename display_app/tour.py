"""`arkaden display --tour DIR`: the display's busy board rendered to PNG in each hint language (with a "later"
list: a journey's next stops), each further page of its waiting list in German, Arabic and Tigrinya, and the
same board without the "later" list. Files are named ``display-<id>-<orientation>[-pageN][-<lang>].png``;
``display-<id>-<orientation>.json`` lists, per picture, the waiting rows' texts with their sizes and boxes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import queue_protocol as p
from queue_rules.site import Site
from ui_common import drive

PAGE_LANGUAGES = ("de", "ar", "ti")   # the further pages: German, right-to-left and the Ethiopic script


def busy_board(site: Site, display_id: str, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """A BoardState with many calls and long queues for the display's agencies, and one fresh call."""
    display = next(d for d in site.displays if d.id == display_id)
    wanted = set(display.agencies) or {a.id for a in site.agencies}
    counters = [c for c in site.counters if site.agency_of_service(c.services[0]).id in wanted]
    calls = []
    for i, c in enumerate(counters[:12]):
        agency = site.agency_of_service(c.services[0])
        room = site.room(c.room)
        calls.append(p.BoardCall(number=f"{agency.prefix}-{(17 + 7 * i) % 120 + 1:03d}", counter=c.id,
                                 counter_label=c.label, room=room.number, floor=room.floor, agency=agency.short,
                                 at=now - timedelta(minutes=2 * i + 1)))
    queues = [p.BoardQueue(service=s.id, agency=s.agency, waiting=(3 * i + 4) % 17, estimated_wait_min=10 + 6 * (i % 7))
              for i, s in enumerate(site.services)]
    later = []   # a journey's next stops: numbers queued at a room from a later time
    for i, c in enumerate(counters[:3]):
        agency = site.agency_of_service(c.services[0])
        room = site.room(c.room)
        later.append(p.BoardLater(number=f"{agency.prefix}-{(11 + 5 * i) % 120 + 1:03d}", room=room.number,
                                  floor=room.floor, agency=agency.short, at=now + timedelta(minutes=20 + 15 * i)))
    board = p.BoardState(current=calls[:5], recent=calls[5:], queues=queues, later=later, at=now)
    fresh = calls[0]
    newest = p.TicketCalled(**{**fresh.model_dump(), "number": f"{fresh.number[:-3]}{int(fresh.number[-3:]) + 1:03d}",
                               "at": now})
    return board.model_dump(mode="json"), newest.model_dump(mode="json")


def _label(label: Any) -> dict[str, Any]:
    return {"text": label.text, "font_size": label.font_size, "box": [label.width, label.height],
            "texture": list(label.texture_size), "shortened": bool(label.shorten)}


def queue_report(screen: Any) -> dict[str, Any]:
    """What the waiting list shows now: its page mark, and each visible row's labels (text, size, box, texture)."""
    from kivy.uix.label import Label

    rows = []
    for row in screen.queue_rows:
        if row.parent is None or not row.agency:
            continue
        labels = [w for w in row.walk(restrict=True) if isinstance(w, Label)]
        rows.append({"agency": row.agency, "waiting": row.waiting, "wait": row.wait,
                     "labels": [_label(x) for x in labels]})
    numbers = [_label(w) for r in screen.call_rows for w in r.walk(restrict=True)
               if isinstance(w, Label) and w.text and w.text == r.number]
    return {"page_mark": screen.page_mark, "pages": screen.pages.pages, "per_page": screen.pages.per_page,
            "panel": [screen.ids.queues.width, screen.ids.queues.height], "rows": rows, "numbers": numbers}


def render(app: Any, out: Path, orientation: str) -> list[Path]:
    """Run inside the app: fill the board, then one screenshot per hint language and per further page."""
    made: list[Path] = []
    report: dict[str, Any] = {}

    async def shot(name: str, lang: str, page: int) -> None:
        app.model.hint_override, app.model.page_override = lang, page
        app.screen.tick(app.model, "10:42")
        await drive.frames(3)
        path = await drive.screenshot(out / f"{name}.png")
        report[path.name] = queue_report(app.screen)
        made.append(path)

    async def script(app: Any) -> None:
        site, display_id = app.settings.site, app.settings.display_id
        stem = f"display-{display_id}-{orientation}"
        now = datetime.now(site.tz).replace(hour=10, minute=42, second=0, microsecond=0)   # the clock shown
        board, call = busy_board(site, display_id, now)
        frozen = app.model.clock()
        app.model.clock = lambda: frozen  # the highlight stays in its bright phase for the pictures
        app.model.wall_time = lambda _now: "10:42"   # and the clock at the board's time
        app.model.set_connected(True)
        app.model.apply_board(board)
        app.model.apply_call(call)
        app.screen.show(app.model)
        await drive.frames(2)
        for lang in app.model.languages:
            await shot(f"{stem}-{lang}", lang, 0)
        for page in range(1, app.screen.pages.pages):
            for lang in PAGE_LANGUAGES:
                await shot(f"{stem}-page{page + 1}-{lang}", lang, page)
        app.model.apply_board({**board, "later": []})   # nothing queued for later: the list is not there
        app.model.apply_call(call)
        app.screen.show(app.model)
        await drive.frames(2)
        await shot(f"{stem}-no-later", "de", 0)
        (out / f"{stem}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))

    drive.run_driven(app, script)
    return made
