"""`arkaden display --tour DIR`: a busy board rendered to PNG in each orientation and hint language (with a
"later" list: a journey's next stops), and the same board without it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import queue_protocol as p
from queue_rules.site import Site
from ui_common import drive


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


def render(app: Any, out: Path, orientation: str) -> list[Path]:
    """Run inside the app: fill the board, then one screenshot per hint language."""
    made: list[Path] = []

    async def script(app: Any) -> None:
        site = app.settings.site
        now = datetime.now(site.tz).replace(hour=10, minute=42, second=0, microsecond=0)   # the clock shown
        board, call = busy_board(site, app.settings.display_id, now)
        frozen = app.model.clock()
        app.model.clock = lambda: frozen  # the highlight stays in its bright phase for the pictures
        app.model.wall_time = lambda _now: "10:42"   # and the clock at the board's time
        app.model.set_connected(True)
        app.model.apply_board(board)
        app.model.apply_call(call)
        app.screen.show(app.model)
        for lang in app.model.languages:
            app.model.hint_override = lang
            app.screen.tick(app.model, "10:42")
            await drive.frames(2)
            made.append(await drive.screenshot(out / f"display-{orientation}-{lang}.png"))
        app.model.apply_board({**board, "later": []})   # nothing queued for later: the list is not there
        app.model.apply_call(call)
        app.screen.show(app.model)
        app.model.hint_override = "de"
        app.screen.tick(app.model, "10:42")
        await drive.frames(4)
        made.append(await drive.screenshot(out / f"display-{orientation}-no-later.png"))

    drive.run_driven(app, script)
    return made
