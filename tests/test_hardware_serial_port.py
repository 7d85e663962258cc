"""Reconnecting serial line port: back-off, line splitting, over-long lines, loss mid-line, one reader per device."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from serial_devices.line_port import LinePort, existing, expand

from .pty_helpers import PtyDevice


class ScriptedSerial:
    """A serial port that returns the given chunks, then fails as an unplugged device does."""

    def __init__(self, chunks: list[bytes]):
        self.chunks = list(chunks)
        self.in_waiting = 0
        self.written: list[bytes] = []

    def read(self, size: int = 1) -> bytes:
        if not self.chunks:
            raise OSError(5, "Input/output error")
        return self.chunks.pop(0)

    def write(self, data: bytes) -> int:
        self.written.append(data)
        return len(data)

    def reset_input_buffer(self) -> None:
        pass

    def close(self) -> None:
        pass


def test_serial_port_backs_off_up_to_one_second_and_reports_a_missing_device_once() -> None:
    delays: list[float] = []
    states: list[tuple[str, str]] = []
    enough = threading.Event()

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        if len(delays) >= 8:
            enough.set()
            port._stop.set()

    def opener(path: str, baud: int) -> ScriptedSerial:
        raise OSError(2, "No such file or directory")

    port = LinePort("t", lambda: "/dev/box", lambda line: None, lambda s, d: states.append((s, d)),
                    opener=opener, sleep=sleep)
    port.start()
    assert enough.wait(5)
    port.stop()
    # a box that comes back is found again within a second: well inside the 3 s the counsellors get
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert len(states) == 1 and states[0][0] == "disconnected" and "cannot open /dev/box" in states[0][1]


def test_serial_port_splits_lines_drops_over_long_ones_and_the_half_line_of_a_lost_device() -> None:
    sessions = [
        ScriptedSerial([b"KEY 1 NE", b"XT\nKEY 2 DONE\r\n", b"A" * 50, b"B" * 50 + b"\nWHO\n\n\n", b"KEY 3 NEX"]),
        ScriptedSerial([b"T\nKEY 4 NEXT\n"]),
    ]
    lines: list[bytes] = []
    states: list[str] = []
    reopened = threading.Event()

    def opener(path: str, baud: int) -> ScriptedSerial:
        if not sessions:
            reopened.set()
            raise OSError(2, "gone")
        return sessions.pop(0)

    port = LinePort("t", lambda: "/dev/box", lines.append, lambda s, d: states.append(s), opener=opener,
                    max_line=64, backoff=(0.01, 0.02))
    port.start()
    assert reopened.wait(5)
    port.stop()
    # "KEY 3 NEX" died with the first device; the second one's stray "T" is its own (bad) line
    assert lines == [b"KEY 1 NEXT", b"KEY 2 DONE\r", b"WHO", b"T", b"KEY 4 NEXT"]
    assert port.stats["over_long"] == 1 and port.stats["opens"] == 2 and port.stats["failures"] == 2
    assert states[:4] == ["connected", "disconnected", "connected", "disconnected"]


def test_serial_port_a_device_behind_two_names_is_read_once(tmp_path: Path) -> None:
    dev = PtyDevice(tmp_path / "by-id-box")
    claimed: set[str] = set()
    lock = threading.Lock()

    def claim(real: str, take: bool) -> bool:
        with lock:
            if not take:
                claimed.discard(real)
                return True
            if real in claimed:
                return False
            claimed.add(real)
            return True

    got: dict[str, list[bytes]] = {"a": [], "b": []}
    a = LinePort("a", existing(str(dev.link)), got["a"].append, claim=claim)
    b = LinePort("b", lambda: str(dev.link.resolve()), got["b"].append, claim=claim)
    a.start()
    deadline = time.monotonic() + 5
    while not a.connected:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    b.start()
    try:
        time.sleep(0.3)
        assert not b.connected
        dev.send("KEY 1 NEXT\n")
        deadline = time.monotonic() + 5
        while not got["a"]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert got == {"a": [b"KEY 1 NEXT"], "b": []}
        assert a.write(b"ACK 1\n") and not b.write(b"ACK 1\n")
        dev.wait_line(lambda line: line == "ACK 1")
    finally:
        a.stop()
        b.stop()
        dev.close()


def test_serial_port_patterns_expand_to_existing_paths(tmp_path: Path) -> None:
    for name in ("arkaden-box-2", "arkaden-box-1", "other"):
        (tmp_path / name).touch()
    assert expand([str(tmp_path / "arkaden-box-*"), str(tmp_path / "arkaden-box-1")]) == [
        str(tmp_path / "arkaden-box-1"), str(tmp_path / "arkaden-box-2")]
    assert existing(str(tmp_path / "other"))() == str(tmp_path / "other")
    assert existing(str(tmp_path / "missing"))() is None
