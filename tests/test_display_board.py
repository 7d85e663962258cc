"""The wall display's view model without a window: filtering per display, highlight and blink, recent, queues."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import queue_protocol as p
from display_app.board_model import BoardModel, BoardSettings
from queue_rules.site import parse_site

from .engine_helpers import MINI

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def site_with_displays():  # type: ignore[no-untyped-def]
    text = MINI.read_text().replace('[[displays]]\nid = "display-1"',
                                    '[[displays]]\nid = "display-1"\n\n[[displays]]\nid = "jc-only"\nagencies = ["jc"]')
    return parse_site(text)


def at_t0() -> datetime:
    """The wall clock of these tests: the morning of T0 (the display shows only that day's calls)."""
    return T0


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def call(number: str, counter: str, minutes: int = 0, **kw: object) -> dict:
    rooms = {"abh-1": ("E.01", "Schalter 1", "ABH"), "abh-2": ("E.01", "Schalter 2", "ABH"),
             "jc-1": ("1.07", "Platz 1", "JC"), "jc-2": ("1.07", "Platz 2", "JC")}
    room, label, agency = rooms[counter]
    return {"number": number, "counter": counter, "counter_label": label, "room": room, "floor": 0,
            "agency": agency, "at": (T0 + timedelta(minutes=minutes)).isoformat(), **kw}


def board(current: list[dict], recent: list[dict], waiting: dict[str, tuple[int, int]]) -> dict:
    agencies = {"aufenthalt": "abh", "jobcenter": "jc", "leistung": "jc"}
    queues = [{"service": s, "agency": agencies[s], "waiting": w, "estimated_wait_min": e}
              for s, (w, e) in waiting.items()]
    return p.BoardState.model_validate({"current": current, "recent": recent, "queues": queues,
                                        "at": T0.isoformat()}).model_dump(mode="json")


def test_board_a_display_shows_only_its_agencies() -> None:
    m = BoardModel(site_with_displays(), "jc-only", now=at_t0)
    assert m.apply_board(board([call("A-001", "abh-1", 2), call("J-004", "jc-1", 1)], [call("J-001", "jc-2")],
                               {"aufenthalt": (5, 30), "jobcenter": (2, 10), "leistung": (3, 25)}))
    assert [c.number for c in m.current] == ["J-004"]
    assert [c.number for c in m.recent] == ["J-001"]
    assert [(q.short, q.waiting, q.wait_min, q.wait_max) for q in m.queues] == [("JC", 5, 10, 25)]
    assert m.apply_call(p.TicketCalled(**call("A-002", "abh-2", 3)).model_dump(mode="json")) is None
    assert m.calls_received == 1 and m.calls_shown == 0


def test_board_a_new_call_goes_on_top_and_blinks_for_its_time() -> None:
    clock = FakeClock()
    m = BoardModel(site_with_displays(), "display-1", BoardSettings(highlight_seconds=10, blink_period=0.5),
                   clock=clock, now=at_t0)
    m.apply_board(board([call("A-001", "abh-1", 0)], [], {"aufenthalt": (1, 20)}))
    shown = m.apply_call(p.TicketCalled(**call("J-002", "jc-1", 5)).model_dump(mode="json"))
    assert shown is not None and [c.number for c in m.current] == ["J-002", "A-001"]
    assert m.blink_on(m.current[0]) and not m.blink_on(m.current[1])
    clock.t += 0.6
    assert m.lit(m.current[0]) and not m.blink_on(m.current[0])  # the dark half of the blink
    clock.t += 0.5
    assert m.blink_on(m.current[0])
    clock.t += 9
    assert not m.lit(m.current[0]) and not m.blink_on(m.current[0])
    m.expire()
    assert m._lit == {}


def test_board_a_recall_blinks_again_and_the_counter_keeps_one_row() -> None:
    clock = FakeClock()
    m = BoardModel(site_with_displays(), "display-1", clock=clock, now=at_t0)
    m.apply_call(p.TicketCalled(**call("A-001", "abh-1", 0)).model_dump(mode="json"))
    clock.t += 30
    m.expire()
    assert not m.lit(m.current[0])
    m.apply_call(p.TicketCalled(**call("A-001", "abh-1", 1), recall=True).model_dump(mode="json"))
    assert [c.number for c in m.current] == ["A-001"] and m.blink_on(m.current[0])
    # the counter calls the next number: the previous one leaves the current rows and shows as recent
    m.apply_call(p.TicketCalled(**call("A-002", "abh-1", 2)).model_dump(mode="json"))
    assert [c.number for c in m.current] == ["A-002"] and [c.number for c in m.recent] == ["A-001"]


def test_board_overflowing_calls_move_to_recent_and_everything_stays_bounded() -> None:
    m = BoardModel(site_with_displays(), "display-1", BoardSettings(current_slots=2, recent_slots=3), now=at_t0)
    counters = ["abh-1", "abh-2", "jc-1", "jc-2"]
    for i in range(500):
        m.apply_call(p.TicketCalled(**call(f"A-{i % 999 + 1:03d}", counters[i % 4], i)).model_dump(mode="json"))
        m.expire()
    assert [c.number for c in m.current] == ["A-500", "A-499"]
    assert [c.number for c in m.recent] == ["A-498", "A-497", "A-496"]
    assert len(m._history) <= 32 and len(m._board_current) <= 4


def test_board_invalid_messages_are_ignored() -> None:
    m = BoardModel(site_with_displays(), "display-1", now=at_t0)
    assert not m.apply_board({"v": 1, "current": "nope"})
    assert m.apply_call({"v": 1, "number": "A-001"}) is None
    assert m.current == [] and m.calls_received == 0


def test_board_hint_rotates_through_the_site_languages() -> None:
    clock = FakeClock()
    m = BoardModel(site_with_displays(), "display-1", BoardSettings(hint_seconds=6), clock=clock, now=at_t0)
    clock.t = 0
    seen = []
    for _ in range(4):
        seen.append(m.hint_language())
        clock.t += 6
    assert seen == ["de", "ar", "de", "ar"]


def test_board_unknown_display_is_refused() -> None:
    with pytest.raises(KeyError, match="no display 'nope'"):
        BoardModel(site_with_displays(), "nope", now=at_t0)


def test_board_wall_time_is_local() -> None:
    m = BoardModel(site_with_displays(), "display-1", now=at_t0)
    assert m.wall_time(datetime(2026, 7, 1, 8, 5, tzinfo=UTC)) == "10:05"


def later(number: str, room: str, agency: str, minutes: int) -> dict:
    return {"number": number, "room": room, "floor": 1, "agency": agency,
            "at": (T0 + timedelta(minutes=minutes)).isoformat()}


def test_board_later_list_shows_this_displays_numbers_soonest_first() -> None:
    m = BoardModel(site_with_displays(), "jc-only", BoardSettings(later_slots=2), now=at_t0)
    data = board([], [], {"jobcenter": (1, 10)})
    data["later"] = [later("J-009", "1.07", "JC", 50), later("A-003", "E.01", "ABH", 5),
                     later("J-004", "1.07", "JC", 20), later("J-012", "1.07", "jc", 30)]
    assert m.apply_board(data)
    assert [(x.number, x.room, x.time) for x in m.later] == [("J-004", "1.07", "10:20"), ("J-012", "1.07", "10:30")]
    # only number, room and time reach the screen: nothing else is in the view
    assert set(vars(m.later[0])) == {"number", "room", "at", "time"}


def test_board_later_number_leaves_the_list_when_it_is_called_and_an_empty_list_clears_it() -> None:
    m = BoardModel(site_with_displays(), "display-1", now=at_t0)
    data = board([], [], {})
    data["later"] = [later("J-004", "1.07", "JC", 20), later("A-003", "E.01", "ABH", 25)]
    m.apply_board(data)
    m.apply_call(p.TicketCalled(**call("J-004", "jc-1", 21)).model_dump(mode="json"))
    assert [x.number for x in m.later] == ["A-003"] and m.current[0].number == "J-004"
    m.apply_board(board([], [], {}))
    assert m.later == []


def test_board_without_a_broker_at_the_start_says_connecting_then_no_connection() -> None:
    from display_app.board_model import CONNECT_GRACE_S

    clock = FakeClock()
    m = BoardModel(site_with_displays(), "display-1", clock=clock, now=at_t0)
    assert not m.connection_lost()                 # "Verbinde …" while it may still come
    clock.t += CONNECT_GRACE_S
    assert m.connection_lost()                     # then "Keine Verbindung", not "connecting" for ever
    m.set_connected(True)
    assert not m.connection_lost()
    m.set_connected(False)
    assert m.connection_lost()


def test_board_a_call_made_while_the_display_reconnected_is_highlighted_and_announced_once() -> None:
    """tests/faults found it: a call published while a display resubscribed reaches it only on the board (its
    session keeps nothing). A recent one counts as new; an old one, or any on the first board, does not."""
    clock = FakeClock()
    m = BoardModel(site_with_displays(), "display-1", clock=clock, now=at_t0)
    assert m.apply_board(board([call("A-001", "abh-1", -5)], [], {"aufenthalt": (1, 5)}))   # at the start
    assert m.take_missed() == [] and not m.lit(m.current[0])
    m.apply_call(call("A-002", "abh-2"))                                       # an event as usual
    missed_board = board([call("A-003", "abh-1"), call("A-002", "abh-2"), call("J-001", "jc-1", -2)], [],
                         {"aufenthalt": (0, 0)})
    assert m.apply_board(missed_board)
    missed = m.take_missed()
    assert [c.number for c in missed] == ["A-003"]            # J-001 is 2 minutes old: not announced as new
    assert m.lit(next(c for c in m.current if c.number == "A-003"))
    assert m.apply_board(missed_board) and m.take_missed() == []   # the same board again: once only
    assert m.calls_missed == 1
