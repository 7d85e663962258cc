"""Wall displays at midnight (issue 15, item 10): nothing of an earlier local day is shown — not after running
through midnight without a message, not from an old retained board at the morning's start, not from a late call;
and the board the core publishes at its rollover clears the display."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import queue_protocol as p
from display_app.board_model import BoardModel
from queue_core.service import Incoming, QueueService
from queue_core.store import Store

from .engine_helpers import Clock, mini_site

BERLIN = ZoneInfo("Europe/Berlin")
T = p.Topics("mini")


def local(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=BERLIN)


def bcall(number: str, counter: str, at: datetime) -> dict:
    rooms = {"abh-1": ("E.01", "Schalter 1", "ABH"), "abh-2": ("E.01", "Schalter 2", "ABH"),
             "jc-1": ("1.07", "Platz 1", "JC")}
    room, label, agency = rooms[counter]
    return {"number": number, "counter": counter, "counter_label": label, "room": room, "floor": 0,
            "agency": agency, "at": at.isoformat()}


def board(at: datetime, current: list[dict], recent: list[dict], waiting: int = 4,
          later: list[dict] | None = None) -> dict:
    queues = [{"service": "aufenthalt", "agency": "abh", "waiting": waiting, "estimated_wait_min": 30}]
    return p.BoardState.model_validate({"current": current, "recent": recent, "queues": queues,
                                        "later": later or [], "at": at.isoformat()}).model_dump(mode="json")


def shown(m: BoardModel) -> dict:
    return {"current": [c.number for c in m.current], "recent": [c.number for c in m.recent],
            "later": [x.number for x in m.later], "waiting": {q.short: q.waiting for q in m.queues}}


def test_midnight_a_display_running_through_midnight_clears_yesterdays_calls_without_a_message() -> None:
    wall = Clock(local(23, 23, 55))
    m = BoardModel(mini_site(), "display-1", now=wall)
    later = [{"number": "J-020", "room": "1.07", "floor": 1, "agency": "JC", "at": local(23, 23, 59).isoformat()}]
    m.apply_board(board(local(23, 23, 55), [bcall("A-031", "abh-1", local(23, 23, 50))],
                        [bcall("A-030", "abh-2", local(23, 23, 40))], later=later))
    m.apply_call(p.TicketCalled(**bcall("J-011", "jc-1", local(23, 23, 56))).model_dump(mode="json"))
    assert shown(m) == {"current": ["J-011", "A-031"], "recent": ["A-030"], "later": ["J-020"],
                        "waiting": {"ABH": 4, "JC": 0}}
    wall.now = local(23, 23, 59, 59)
    assert m.roll_over() is False and shown(m)["current"] == ["J-011", "A-031"]
    wall.now = local(24, 0, 0, 1)
    assert m.roll_over() is True   # the display's tick: no message came
    assert shown(m) == {"current": [], "recent": [], "later": [], "waiting": {"ABH": 0, "JC": 0}}
    assert m.roll_over() is False
    # the new day goes on as usual
    assert m.apply_call(p.TicketCalled(**bcall("A-001", "abh-1", local(24, 7, 30))).model_dump(mode="json"))
    assert shown(m)["current"] == ["A-001"] and shown(m)["recent"] == []


def test_midnight_an_old_retained_board_at_the_mornings_start_shows_no_call_and_no_waiting() -> None:
    m = BoardModel(mini_site(), "display-1", now=Clock(local(24, 7, 0)))
    yesterday = board(local(23, 18, 2), [bcall("A-031", "abh-1", local(23, 17, 50))],
                      [bcall("A-030", "abh-2", local(23, 17, 40))], waiting=6)
    assert m.apply_board(yesterday)
    assert shown(m) == {"current": [], "recent": [], "later": [], "waiting": {"ABH": 0, "JC": 0}}
    assert m.stale_dropped == 1
    # then the core's first board of the day
    assert m.apply_board(board(local(24, 7, 0, 5), [], [], waiting=1))
    assert shown(m)["waiting"] == {"ABH": 1, "JC": 0}


def test_midnight_a_late_call_of_yesterday_is_neither_shown_nor_said() -> None:
    m = BoardModel(mini_site(), "display-1", now=Clock(local(24, 0, 0, 3)))
    assert m.apply_call(p.TicketCalled(**bcall("A-031", "abh-1", local(23, 23, 59, 59))).model_dump(mode="json")) \
        is None   # None: the app plays no announcement either
    assert m.current == [] and m.recent == [] and m.calls_received == 1 and m.calls_shown == 0


def test_midnight_a_board_of_today_drops_the_calls_of_yesterday_it_still_carries() -> None:
    # e.g. a core whose rollover failed (its database away at midnight) that still publishes yesterday's calls
    m = BoardModel(mini_site(), "display-1", now=Clock(local(24, 8, 0)))
    m.apply_board(board(local(24, 8, 0), [bcall("A-031", "abh-1", local(23, 17, 50)),
                                          bcall("A-001", "abh-2", local(24, 7, 59))],
                        [bcall("A-030", "abh-2", local(23, 17, 40))]))
    assert shown(m)["current"] == ["A-001"] and shown(m)["recent"] == []


def test_midnight_the_local_day_decides_also_on_the_night_of_the_dst_change() -> None:
    # 25 October 2026: clocks go back at 03:00 CEST; a call at 23:30 CEST (21:30 UTC) is the day before
    wall = Clock(local(24, 23, 0, month=10))
    m = BoardModel(mini_site(), "display-1", now=wall)
    m.apply_call(p.TicketCalled(**bcall("A-040", "abh-1", local(24, 23, 30, month=10))).model_dump(mode="json"))
    wall.now = local(25, 2, 30, month=10)   # the first 02:30 of the night, still summer time
    assert m.roll_over() and m.current == []
    wall.now = local(25, 2, 30, month=10).replace(fold=1)   # the second 02:30: the same day, nothing happens
    m.apply_call(p.TicketCalled(**bcall("A-001", "abh-1", local(25, 2, 40, month=10))).model_dump(mode="json"))
    assert m.roll_over() is False and [c.number for c in m.current] == ["A-001"]


def test_midnight_the_core_publishes_a_board_without_yesterdays_calls_at_its_rollover(tmp_path: Path) -> None:
    # the core side (read, not changed here): the runner's idle tick rolls the day over and the flush that
    # follows publishes a fresh retained board, which the display shows as empty
    store = Store(f"sqlite:///{tmp_path / 'core.db'}")
    store.migrate()
    clock = Clock(local(23, 21, 0))
    svc = QueueService(mini_site(), store, clock=clock, always_open=True)

    def send(topic: str, device: str, body: dict) -> None:
        svc.handle(Incoming(topic, json.dumps({"v": 1, **body}).encode(), T.reply(device), b"c"))

    for i in range(3):
        send(T.checkin("kiosk-1"), "kiosk-1", {"id": f"c{i}", "concern": "residence"})
    send(T.counter_cmd("abh-1"), "box-abh-1", {"id": "n1", "action": "next"})
    clock.now = local(23, 21, 5)
    send(T.counter_cmd("abh-1"), "box-abh-1", {"id": "n2", "action": "next"})
    evening = next(json.loads(x.payload) for x in svc.flush_state() if x.topic == T.board())
    assert [c["number"] for c in evening["current"]] == ["A-002"]
    assert [c["number"] for c in evening["recent"]][:2] == ["A-002", "A-001"]
    clock.now = local(24, 0, 0, 2)
    svc.roll_over_if_new_day()     # what the runner does when its inbox is idle
    boards = [json.loads(x.payload) for x in svc.flush_state() if x.topic == T.board()]
    assert len(boards) == 1, "the rollover must publish a fresh board"
    fresh = boards[0]
    assert fresh["current"] == [] and fresh["recent"] == [] and fresh["later"] == []
    assert all(q["waiting"] == 0 for q in fresh["queues"])
    assert datetime.fromisoformat(fresh["at"]) == clock.now
    m = BoardModel(mini_site(), "display-1", now=Clock(local(24, 0, 0, 3)))
    m.apply_board(evening)
    m.apply_board(fresh)
    assert shown(m) == {"current": [], "recent": [], "later": [], "waiting": {"ABH": 0, "JC": 0}}
    store.close()
