"""The button-box protocol: the host's grammar, the firmware's logic (run on the host), and the two together."""

from __future__ import annotations

import importlib.util
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import queue_protocol as p
from hardware import box_protocol as bp
from hardware.box_handle import BoxHandle, render
from queue_rules.site import ButtonBox

from .fakes import FakeCoreLink


def _firmware_module():  # type: ignore[no-untyped-def]
    """The firmware's boxproto.py, loaded as the Pico loads it: a plain file, not part of a package."""
    path = Path(__file__).resolve().parents[1] / "hardware" / "firmware" / "boxproto.py"
    spec = importlib.util.spec_from_file_location("boxproto", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


boxproto = _firmware_module()


# --- the host's grammar ----------------------------------------------------------------------------

def test_box_protocol_parses_hello_and_key() -> None:
    assert bp.parse_box_line(b"HELLO box-abh-1 1.0 BEEF01") == bp.Hello("box-abh-1", "1.0", "beef01")
    assert bp.parse_box_line(b"HELLO box-abh-1 1.0\r") == bp.Hello("box-abh-1", "1.0", None)
    assert bp.parse_box_line(b"KEY 0 NEXT") == bp.Key(0, "NEXT")
    assert bp.parse_box_line(b"KEY 65535 NOSHOW") == bp.Key(65535, "NOSHOW")
    for name in bp.KEYS:
        assert bp.parse_box_line(f"KEY 7 {name}".encode()).name == name


@pytest.mark.parametrize("line", [
    b"", b"KEY", b"KEY 1", b"KEY 65536 NEXT", b"KEY -1 NEXT", b"KEY 1 next", b"KEY  1 NEXT", b"KEY 1 NEXT ",
    b"KEY 123456 NEXT", b"HELLO", b"HELLO Box 1.0", b"HELLO box 1.0 xyz", b"HELLO box 1.0 123456789",
    b"key 1 NEXT", b"KEY 1 NEXT\x00", b"KEY 1 N\xc3\xa4XT", b"ACK 1", b"WHO", b"K" * 65,
    b"KEY 1 " + b"A" * 70,
])
def test_box_protocol_refuses_anything_else(line: bytes) -> None:
    with pytest.raises(bp.BadLine) as info:
        bp.parse_box_line(line)
    assert info.value.reason == "bad_line"


def test_box_protocol_counts_unknown_keys_apart() -> None:
    with pytest.raises(bp.BadLine) as info:
        bp.parse_box_line(b"KEY 3 SELFDESTRUCT")
    assert info.value.reason == "unknown_key"


def test_box_protocol_host_lines() -> None:
    assert bp.ack(65537) == b"ACK 1\n"
    assert bp.show("J-017  W:5") == b"SHOW J-017  W:5\n"
    assert bp.show("Ünïcode and far too long") == b"SHOW ?n?code and far \n"
    assert bp.led("BLINK") == b"LED BLINK\n" and bp.who() == b"WHO\n"
    with pytest.raises(ValueError):
        bp.led("RED")  # type: ignore[arg-type]


def _state(status: str, number: str | None, waiting: int) -> p.CounterState:
    return p.CounterState(counter="abh-1", label="Schalter 1", room="E.01", status=status, number=number,
                          waiting=waiting, at=datetime.now(UTC))


def test_box_display_text_fits_and_says_what_matters() -> None:
    assert render(_state("open", "J-017", 5), True) == ("J-017  W:5", "ON")
    assert render(_state("open", "AB-123", 120), True) == ("AB-123 W:120", "ON")
    assert render(_state("open", None, 0), True) == ("-----  W:0", "OFF")
    assert render(_state("paused", None, 3), True) == ("PAUSE  W:3", "OFF")
    assert render(_state("closed", None, 3), True) == ("CLOSED W:3", "OFF")
    assert render(None, True) == ("NO DATA", "BLINK")
    assert render(_state("open", "J-017", 5), False) == ("OFFLINE", "BLINK")


# --- the firmware against the host ---------------------------------------------------------------

def test_firmware_lines_are_what_the_host_accepts() -> None:
    assert bp.parse_box_line(boxproto.format_hello("box-abh-1", "1.0", "0a1b2c3d").rstrip("\n").encode()) \
        == bp.Hello("box-abh-1", "1.0", "0a1b2c3d")
    for seq in (0, 1, 65535):
        for name in boxproto.KEYS:
            assert bp.parse_box_line(boxproto.format_key(seq, name).rstrip("\n").encode()) == bp.Key(seq, name)
    assert tuple(boxproto.KEYS) == bp.KEYS and boxproto.MAX_LINE == bp.MAX_LINE_BYTES


def test_firmware_reads_every_line_the_host_sends() -> None:
    for raw, expected in [(bp.ack(9), ("ACK", 9)), (bp.show("J-017  W:5"), ("SHOW", "J-017  W:5")),
                          (bp.show(""), ("SHOW", "")), (bp.led("ON"), ("LED", "ON")), (bp.who(), ("WHO", None))]:
        assert boxproto.parse_host_line(raw.decode().rstrip("\n")) == expected
    for junk in ["ACK", "ACK x", "ACK 70000", "LED PURPLE", "SHOWX", "who", "SHOW \x07", "A" * 65]:
        assert boxproto.parse_host_line(junk) is None, junk


class FirmwareClock:
    def __init__(self) -> None:
        self.ms = 0

    def __call__(self) -> int:
        return self.ms


def test_firmware_resends_until_acknowledged_then_sends_the_next_press() -> None:
    sent: list[str] = []
    clock = FirmwareClock()
    box = boxproto.Box("box-abh-1", "1.0", "beef", sent.append, clock, retry_ms=1000, give_up_ms=5000)
    box.press("NEXT")
    box.press("DONE")
    assert sent == ["KEY 0 NEXT\n"]  # one press in flight at a time
    clock.ms = 999
    box.poll()
    clock.ms = 1000
    box.poll()
    assert sent[-1] == "KEY 0 NEXT\n" and len(sent) == 2
    box.feed(b"ACK 5\n")  # not ours: ignored
    box.feed(b"AC")
    box.feed(b"K 0\nSHOW J-017  W:5\nLED ON\n")
    assert sent[-1] == "KEY 1 DONE\n"
    assert box.text == "J-017  W:5" and box.led == "ON"
    box.feed(b"WHO\n")
    assert sent[-1] == "HELLO box-abh-1 1.0 beef\n"
    box.feed(b"X" * 100 + b"\nLED PURPLE\n\xff\xfe\n")
    assert box.bad_lines == 3 and box.led == "ON"
    clock.ms = 1000 + 5000  # never acknowledged: dropped, and the display says so
    box.poll()
    assert box.queue == [] and box.text == "NOT SENT"


def test_firmware_seq_wraps_and_the_queue_is_bounded() -> None:
    sent: list[str] = []
    box = boxproto.Box("b", "1", "1", sent.append, FirmwareClock(), max_queue=2)
    box.seq = 65535
    assert box.press("NEXT") and box.press("RECALL")
    assert not box.press("DONE") and box.text == "BUSY"
    assert not box.press("SELFDESTRUCT")
    box.feed(b"ACK 65535\n")
    assert sent == ["KEY 65535 NEXT\n", "KEY 0 RECALL\n"]


# --- one box's presses, with a fake link ---------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


class Lines:
    def __init__(self) -> None:
        self.out: list[bytes] = []

    def write(self, data: bytes) -> bool:
        self.out.extend(line + b"\n" for line in data.split(b"\n") if line)
        return True


def _handle(link: FakeCoreLink, clock: Clock) -> tuple[BoxHandle, Lines]:
    handle = BoxHandle(ButtonBox(id="box-abh-1", counter="abh-1"), p.Topics("mini"), link, guard_s=1.5,
                       clock=clock)
    lines = Lines()
    handle.start()
    handle.attach(lines, "/dev/x", bp.Hello("box-abh-1", "1.0", "beef"), "s1")
    return handle, lines


def _wait(predicate, timeout: float = 5) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_box_handle_guards_next_and_makes_ids_from_box_boot_and_seq() -> None:
    link, clock = FakeCoreLink(), Clock()
    handle, lines = _handle(link, clock)
    try:
        handle.on_key(bp.Key(1, "NEXT"))
        _wait(lambda: b"ACK 1\n" in lines.out)
        clock.t += 1.4
        handle.on_key(bp.Key(2, "NEXT"))  # within 1.5 s of the last NEXT: acknowledged, not sent
        clock.t += 0.2
        handle.on_key(bp.Key(3, "DONE"))
        _wait(lambda: b"ACK 3\n" in lines.out)  # a box sends its next press once this one is acknowledged
        handle.on_key(bp.Key(4, "NEXT"))  # 1.6 s after the first NEXT
        _wait(lambda: b"ACK 4\n" in lines.out)
        assert b"ACK 2\n" in lines.out
        assert [(r[1]["action"], r[2]) for r in link.requests] == [
            ("next", "box-abh-1.beef.1"), ("done", "box-abh-1.beef.3"), ("next", "box-abh-1.beef.4")]
        assert handle.counts["guarded"] == 1 and handle.counts["applied"] == 3
    finally:
        handle.stop()


def test_box_handle_pause_toggles_and_offline_presses_are_not_taken() -> None:
    link, clock = FakeCoreLink(), Clock()
    handle, lines = _handle(link, clock)
    try:
        handle.on_key(bp.Key(1, "PAUSE"))
        _wait(lambda: len(link.requests) == 1)
        handle.on_counter_state(_state("paused", None, 2).model_dump(mode="json"))
        assert lines.out[-2:] == [b"SHOW PAUSE  W:2\n", b"LED OFF\n"]
        handle.on_key(bp.Key(2, "PAUSE"))
        _wait(lambda: len(link.requests) == 2)
        assert [r[1]["action"] for r in link.requests] == ["pause", "resume"]
        link.connected.clear()
        handle.refresh()
        assert lines.out[-2:] == [b"SHOW OFFLINE\n", b"LED BLINK\n"]
        handle.on_key(bp.Key(3, "NEXT"))
        time.sleep(0.2)
        assert len(link.requests) == 2 and b"ACK 3\n" not in lines.out and handle.counts["offline"] == 1
        link.connected.set()
        handle.on_key(bp.Key(3, "NEXT"))  # the box's re-send, once the link is back
        _wait(lambda: b"ACK 3\n" in lines.out)
        assert link.requests[-1][2] == "box-abh-1.beef.3"
    finally:
        handle.stop()


def test_box_handle_retries_the_same_command_until_the_core_answers() -> None:
    answers = iter([None, None, {"ok": False, "error": {"code": "no_current_ticket", "message": "x"}}])
    link, clock = FakeCoreLink(lambda topic, payload: next(answers)), Clock()
    handle, lines = _handle(link, clock)
    try:
        handle.on_key(bp.Key(8, "DONE"))
        handle.on_key(bp.Key(8, "DONE"))  # re-sent by the box while the first is on its way: ignored
        _wait(lambda: b"ACK 8\n" in lines.out)
        assert [r[2] for r in link.requests] == ["box-abh-1.beef.8"] * 3
        assert b"SHOW NO CLIENT\n" in lines.out and handle.counts["refused"] == 1
        handle.on_key(bp.Key(8, "DONE"))  # after the answer: acknowledged again, not sent again
        assert lines.out.count(b"ACK 8\n") == 2 and len(link.requests) == 3
        clock.t += 3
        handle.tick()  # the message goes, the counter's state comes back
        assert lines.out[-2] == b"SHOW NO DATA\n"
    finally:
        handle.stop()


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_box_handle_sends_the_same_command_again_after_an_unusable_reply() -> None:
    answers = iter([{"ok": "perhaps"}, {"ok": True, "number": "A-001"}])  # the first does not fit CommandResult
    link, clock = FakeCoreLink(lambda topic, payload: next(answers)), Clock()
    handle, lines = _handle(link, clock)
    try:
        handle.on_key(bp.Key(5, "NEXT"))
        _wait(lambda: b"ACK 5\n" in lines.out)
        assert [r[2] for r in link.requests] == ["box-abh-1.beef.5"] * 2
        assert handle.counts["applied"] == 1 and handle.counts["refused"] == 0
    finally:
        handle.stop()


def test_box_handle_a_box_without_boot_id_gets_one_per_connection() -> None:
    link, clock = FakeCoreLink(), Clock()
    handle = BoxHandle(ButtonBox(id="box-abh-1", counter="abh-1"), p.Topics("mini"), link, guard_s=0, clock=clock)
    lines = Lines()
    handle.start()
    try:
        handle.attach(lines, "/dev/x", bp.Hello("box-abh-1", "1.0"), "aa11")
        handle.on_key(bp.Key(0, "DONE"))
        _wait(lambda: len(link.requests) == 1)
        handle.detach(lines)
        handle.attach(lines, "/dev/x", bp.Hello("box-abh-1", "1.0"), "bb22")  # re-plugged: a new power-up
        handle.on_key(bp.Key(0, "DONE"))
        _wait(lambda: len(link.requests) == 2)
        assert [r[2] for r in link.requests] == ["box-abh-1.saa11.0", "box-abh-1.sbb22.0"]
    finally:
        handle.stop()


def test_box_handle_stops_while_a_press_waits_for_the_core() -> None:
    link = FakeCoreLink(lambda topic, payload: None)  # the broker is there, the core does not answer
    handle, lines = _handle(link, Clock())
    handle.on_key(bp.Key(1, "NEXT"))
    _wait(lambda: len(link.requests) >= 2)  # sent again with the same id
    done = threading.Event()

    def stop() -> None:
        handle.stop()
        done.set()

    threading.Thread(target=stop).start()
    assert done.wait(5)
    assert b"ACK 1\n" not in lines.out  # never answered: the box keeps it and sends it to the next bridge
    assert {r[2] for r in link.requests} == {"box-abh-1.beef.1"}
