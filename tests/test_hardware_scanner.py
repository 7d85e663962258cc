"""The serial scanner on a real pseudo-terminal: codes per CR/LF line, repeats, junk, unplugging and coming back."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from serial_devices.scanner import FakeScannerSource, ScannerSource
from serial_devices.serial_scanner import SerialScannerSource

from .pty_helpers import PtyDevice

pytestmark = pytest.mark.timeout(60)


class Collector:
    def __init__(self) -> None:
        self.codes: list[str] = []
        self.health: list[str] = []
        self.cv = threading.Condition()

    def on_scan(self, code: str) -> None:
        with self.cv:
            self.codes.append(code)
            self.cv.notify_all()

    def on_health(self, text: str) -> None:
        with self.cv:
            self.health.append(text)
            self.cv.notify_all()

    def wait(self, predicate, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
        with self.cv:
            assert self.cv.wait_for(lambda: predicate(self), timeout), (self.codes, self.health)


def test_serial_scanner_delivers_codes_and_comes_back_after_unplugging(tmp_path: Path) -> None:
    dev = PtyDevice(tmp_path / "arkaden-scanner")
    clock = [0.0]
    source: ScannerSource = SerialScannerSource(str(dev.link), clock=lambda: clock[0])
    got = Collector()
    source.start(got.on_scan, got.on_health)
    try:
        got.wait(lambda c: c.health == ["connected"])
        dev.send("KIA-4711\rT:abc123\nKIA-0815\r\n")
        got.wait(lambda c: len(c.codes) == 3)
        assert got.codes == ["KIA-4711", "T:abc123", "KIA-0815"]
        dev.send("KIA-0815\r")  # the same code read again at once (presentation mode): once is enough
        clock[0] += 2.0
        dev.send("KIA-0815\r")  # again, much later: a new scan
        dev.send(b"\x00\x01\x02\r" + "Ärger\r".encode() + b"Z" * 300 + b"\rX-1\r")
        got.wait(lambda c: c.codes[-1] == "X-1")
        assert got.codes == ["KIA-4711", "T:abc123", "KIA-0815", "KIA-0815", "X-1"]
        assert isinstance(source, SerialScannerSource)
        assert source.stats["repeats"] == 1 and source.stats["bad_lines"] == 2 and source.over_long == 1
        dev.unplug(partial=b"KIA-99")
        got.wait(lambda c: c.health[-1].startswith("disconnected"))
        dev.plug()
        got.wait(lambda c: c.health[-1] == "connected")
        dev.send("KIA-1234\n")
        got.wait(lambda c: c.codes[-1] == "KIA-1234")
        assert "KIA-99" not in got.codes and not any(code.startswith("KIA-99") for code in got.codes)
    finally:
        source.stop()
        dev.close()


@pytest.mark.slow  # waits out real timeouts or starts processes
def test_serial_scanner_waits_for_a_scanner_that_is_not_there_yet(tmp_path: Path) -> None:
    link = tmp_path / "arkaden-scanner"
    source = SerialScannerSource(str(link))
    got = Collector()
    source.start(got.on_scan, got.on_health)
    dev = None
    try:
        got.wait(lambda c: c.health == ["disconnected: not plugged in"])
        time.sleep(0.3)
        dev = PtyDevice(link)
        got.wait(lambda c: c.health[-1] == "connected")
        dev.send("KIA-4711\n")
        got.wait(lambda c: c.codes == ["KIA-4711"])
    finally:
        source.stop()
        if dev is not None:
            dev.close()


def test_fake_scanner_still_speaks_the_port() -> None:
    fake = FakeScannerSource()
    got = Collector()
    fake.start(got.on_scan, got.on_health)
    fake.scan("KIA-4711\r\n")
    assert got.codes == ["KIA-4711"] and got.health == ["connected"]
