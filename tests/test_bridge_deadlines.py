"""A button press lives as long as the box keeps it: deadline and expiry on its command, never sent after it."""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import queue_protocol as p
from device_link.link import REPLY_TIMEOUT_S
from hardware import box_protocol as bp
from hardware.box_handle import PRESS_VALID_S, BoxHandle
from queue_rules.site import ButtonBox

from .fakes import Answer, FakeCoreLink, R

WALL = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def _firmware_module() -> Any:
    path = Path(__file__).resolve().parents[1] / "hardware" / "firmware" / "boxproto.py"
    spec = importlib.util.spec_from_file_location("boxproto_deadlines", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


boxproto = _firmware_module()


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class RecordingLink(FakeCoreLink):
    """The fake link, also recording each send's Message Expiry Interval and the (fake) time it was sent at."""

    def __init__(self, clock: Clock, answer: Answer | None = None):
        super().__init__(answer)
        self.clock = clock
        self.sends: list[tuple[float, float | None, str | None]] = []  # (at, expiry_s, deadline)

    def request(self, topic: str, command: p.Command, reply: type[R], timeout: float = REPLY_TIMEOUT_S, *,
                expiry_s: float | None = None) -> R | None:
        deadline = getattr(command, "deadline", None)
        self.sends.append((self.clock(), expiry_s, deadline.isoformat() if deadline else None))
        return super().request(topic, command, reply, timeout, expiry_s=expiry_s)


class Wire:
    """The handle's side of the serial line: what it writes goes to the (simulated) box and is recorded."""

    def __init__(self) -> None:
        self.out: list[bytes] = []
        self.box: Any = None

    def write(self, data: bytes) -> bool:
        self.out.extend(line + b"\n" for line in data.split(b"\n") if line)
        if self.box is not None:
            self.box.feed(data)
        return True


def _handle(link: FakeCoreLink, clock: Clock) -> tuple[BoxHandle, Wire]:
    handle = BoxHandle(ButtonBox(id="box-abh-1", counter="abh-1"), p.Topics("mini"), link, guard_s=1.5,
                       clock=clock, wall_clock=lambda: WALL)
    wire = Wire()
    handle.start()
    handle.attach(wire, "/dev/x", bp.Hello("box-abh-1", "1.0", "beef"), "s1")
    return handle, wire


def _wait(predicate: Callable[[], bool], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_bridge_gives_a_press_up_when_the_firmware_does_and_never_sends_it_after() -> None:
    """The reference firmware on the same clock as the bridge: the core never answers during the press's life."""
    clock = Clock()
    silent = True
    link = RecordingLink(clock, lambda topic, payload: None if silent else {"ok": True})
    handle, wire = _handle(link, clock)

    def from_box(line: str) -> None:
        key = bp.parse_box_line(line.rstrip("\n").encode())
        assert isinstance(key, bp.Key)
        handle.on_key(key)

    box = boxproto.Box("box-abh-1", "1.0", "beef", from_box, lambda: round(clock.t * 1000))
    wire.box = box
    try:
        assert box.give_up_ms == PRESS_VALID_S * 1000  # the bridge's give-up time is the firmware's
        box.press("NEXT")
        _wait(lambda: len(link.sends) >= 1)
        at, expiry, deadline = link.sends[0]
        assert deadline == (WALL + timedelta(seconds=PRESS_VALID_S)).isoformat() and expiry == 15
        for _ in range(14):  # the box re-sends every second; the bridge keeps sending the same command
            clock.t += 1.0
            box.poll()
            time.sleep(0.02)
        clock.t += 0.999
        box.poll()
        time.sleep(0.02)
        assert handle.counts["expired"] == 0 and b"ACK 0\n" not in wire.out
        clock.t = 115.0  # 15 s after the press: the box gives up, and so does the bridge
        box.poll()
        assert box.text == "NOT SENT" and box.queue == []
        _wait(lambda: handle.counts["expired"] == 1)
        sent = len(link.sends)
        time.sleep(0.2)
        assert len(link.sends) == sent  # nothing sent after the deadline
        assert all(at < 115.0 for at, _, _ in link.sends)
        assert all(e == pytest.approx(115.0 - at) for at, e, _ in link.sends)  # the time left, each time
        assert {d for _, _, d in link.sends} == {deadline}  # every re-send is the same command
        assert b"SHOW NOT SENT\n" in wire.out and box.text == "NOT SENT"
        silent = False  # the core is back: the box's next press goes through as usual
        box.press("DONE")
        _wait(lambda: b"ACK 1\n" in wire.out)
        assert handle.counts["applied"] == 1 and box.queue == []
    finally:
        handle.stop()


def test_bridge_a_press_seen_while_offline_keeps_the_time_it_was_first_seen() -> None:
    clock = Clock()
    link = RecordingLink(clock)
    handle, wire = _handle(link, clock)
    try:
        link.connected.clear()
        handle.on_key(bp.Key(3, "NEXT"))  # broker away: not taken, but its time runs
        handle.on_key(bp.Key(4, "DONE"))
        clock.t += 8
        link.connected.set()
        handle.on_key(bp.Key(3, "NEXT"))  # the box's re-send, 8 s later: 7 s left
        _wait(lambda: b"ACK 3\n" in wire.out)
        assert link.sends == [(108.0, 7, (WALL + timedelta(seconds=7)).isoformat())]
        clock.t += 8  # 16 s after press 4 was first seen: the box has given it up
        handle.on_key(bp.Key(4, "DONE"))
        assert b"ACK 4\n" in wire.out and b"SHOW NOT SENT\n" in wire.out
        assert handle.counts["expired"] == 1 and len(link.sends) == 1
        handle.on_key(bp.Key(4, "DONE"))  # a box that still re-sends it: acknowledged, never sent
        assert len(link.sends) == 1 and handle.counts["duplicates"] == 1
    finally:
        handle.stop()


def test_bridge_one_press_per_box_on_its_way() -> None:
    clock = Clock()
    link = RecordingLink(clock, lambda topic, payload: None)  # the core does not answer
    handle, wire = _handle(link, clock)
    try:
        handle.on_key(bp.Key(1, "NEXT"))
        _wait(lambda: len(link.sends) >= 1)
        handle.on_key(bp.Key(2, "DONE"))  # a box that does not wait for the ACK: not taken while 1 is out
        time.sleep(0.1)
        assert handle.counts["too_many_pending"] == 1 and b"ACK 2\n" not in wire.out
        assert {r[2] for r in link.requests} == {"box-abh-1.beef.1"}
        clock.t += PRESS_VALID_S  # press 1 expires; press 2, first seen at the same time, too
        _wait(lambda: b"ACK 1\n" in wire.out)
        link.answer = lambda topic, payload: {"ok": True}
        handle.on_key(bp.Key(2, "DONE"))
        assert b"ACK 2\n" in wire.out and handle.counts["expired"] == 2
        assert {r[2] for r in link.requests} == {"box-abh-1.beef.1"}  # press 2 never went out
    finally:
        handle.stop()


def test_bridge_a_press_the_core_refuses_as_expired_shows_not_sent() -> None:
    clock = Clock()
    link = RecordingLink(clock, lambda topic, payload: {"ok": False, "error": {"code": "expired", "message": "x"}})
    handle, wire = _handle(link, clock)
    try:
        handle.on_key(bp.Key(5, "RECALL"))
        _wait(lambda: b"ACK 5\n" in wire.out)
        assert b"SHOW NOT SENT\n" in wire.out
        assert handle.counts["expired"] == 1 and handle.counts["refused"] == 0
    finally:
        handle.stop()


def test_bridge_a_press_an_earlier_bridge_sent_is_settled_quietly() -> None:
    """After a bridge restart the box re-sends its press; the new bridge dates it anew, and the core (which has
    the id with the old deadline) says ``id_reused``: the press was answered before, nothing to show."""
    clock = Clock()
    link = RecordingLink(clock, lambda topic, payload: {"ok": False, "error": {"code": "id_reused", "message": "x"}})
    handle, wire = _handle(link, clock)
    try:
        mark = len(wire.out)
        handle.on_key(bp.Key(6, "NEXT"))
        _wait(lambda: b"ACK 6\n" in wire.out)
        assert not any(line.startswith(b"SHOW ") for line in wire.out[mark:])
        assert handle.counts["duplicates"] == 1 and handle.counts["refused"] == 0
    finally:
        handle.stop()
