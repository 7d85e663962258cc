"""A serial line port that finds its device, reads lines on its own thread and reconnects by itself."""

from __future__ import annotations

import glob
import logging
import os
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("arkaden.serial")

Locate = Callable[[], "str | None"]
OnLine = Callable[[bytes], None]
OnState = Callable[[str, str], None]  # ("connected", path) | ("disconnected", why)


class SerialLike(Protocol):
    """What the port needs from a pyserial ``Serial`` (a fake can stand in for unit tests)."""

    @property
    def in_waiting(self) -> int: ...

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def reset_input_buffer(self) -> None: ...

    def close(self) -> None: ...


def open_pyserial(path: str, baudrate: int) -> SerialLike:
    """8N1 at ``baudrate``; reads return after 0.1 s so the thread can stop; an exclusive lock on the tty."""
    import serial

    port: SerialLike = serial.Serial(path, baudrate=baudrate, bytesize=8, parity="N", stopbits=1, timeout=0.1,
                                     write_timeout=0.5, exclusive=True)
    return port


def existing(path: str) -> Locate:
    """Locate a device by a fixed path (e.g. a /dev/serial/by-id link): the path while it exists."""
    return lambda: path if os.path.exists(path) else None


def by_usb_serial(serial_number: str) -> Locate:
    """Locate a USB device by its serial number (iSerial), wherever the kernel put it this time."""

    def locate() -> str | None:
        from serial.tools import list_ports

        for info in list_ports.comports():
            if info.serial_number == serial_number:
                return str(info.device)
        return None

    return locate


def expand(patterns: list[str]) -> list[str]:
    """Paths matching any of the glob patterns, sorted."""
    found: set[str] = set()
    for pattern in patterns:
        found.update(glob.glob(pattern))
    return sorted(found)


class LinePort:
    """Reads LF (or CR/LF) terminated lines from one device and hands each to ``on_line``.

    The device is looked up with ``locate`` before every attempt; when it is missing, cannot be opened or
    fails mid-read, the port closes, drops the partial line, reports ``on_state("disconnected", why)`` and
    tries again after a back-off that grows from ``backoff[0]`` to ``backoff[1]`` seconds. Lines longer
    than ``max_line`` bytes are dropped up to their end and counted; nothing ever raises into the caller.
    """

    def __init__(self, name: str, locate: Locate, on_line: OnLine, on_state: OnState | None = None, *,
                 baudrate: int = 115200, terminators: bytes = b"\n", max_line: int = 64,
                 opener: Callable[[str, int], SerialLike] = open_pyserial,
                 claim: Callable[[str, bool], bool] | None = None,
                 backoff: tuple[float, float] = (0.1, 1.0),
                 sleep: Callable[[float], None] | None = None):
        self.name = name
        self.locate = locate
        self.on_line = on_line
        self.on_state = on_state
        self.baudrate = baudrate
        self.terminators = terminators
        self.max_line = max_line
        self.opener = opener
        self.claim = claim  # claim(realpath, True) before opening, claim(realpath, False) after closing
        self.backoff = backoff
        self._stop = threading.Event()
        self.sleep = sleep or self._stop.wait
        self.stats = {"lines": 0, "over_long": 0, "opens": 0, "failures": 0}
        self.path: str | None = None
        self._port: SerialLike | None = None
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._missing_reported = False

    @property
    def connected(self) -> bool:
        return self._port is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"port-{self.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def write(self, data: bytes) -> bool:
        """Send bytes if the device is there; False (never an exception) when it is not or the write failed."""
        with self._write_lock:
            port = self._port
            if port is None:
                return False
            try:
                port.write(data)
                return True
            except (OSError, ValueError) as exc:  # SerialException and its timeout are OSErrors; the reader notices
                log.debug("%s: write failed: %s", self.name, exc)
                return False

    def _report(self, state: str, detail: str) -> None:
        if self.on_state is not None:
            try:
                self.on_state(state, detail)
            except Exception:
                log.exception("%s: state callback failed", self.name)

    def _run(self) -> None:
        delay = self.backoff[0]
        while not self._stop.is_set():
            port, real = self._open()
            if port is None:
                self.sleep(delay)
                delay = min(self.backoff[1], delay * 2)
                continue
            delay = self.backoff[0]
            why = "stopped"
            try:
                why = self._read_lines(port)
            finally:
                with self._write_lock:
                    self._port = None
                try:
                    port.close()
                except (OSError, ValueError) as exc:
                    log.debug("%s: closing failed: %s", self.name, exc)
                if self.claim is not None and real is not None:
                    self.claim(real, False)
                if why == "stopped":
                    log.info("%s: %s closed", self.name, self.path)
                else:
                    self.stats["failures"] += 1
                    log.warning("%s: %s lost (%s); looking for it again", self.name, self.path, why)
                self._report("disconnected", why)
                self._missing_reported = True

    def _open(self) -> tuple[SerialLike | None, str | None]:
        try:
            path = self.locate()
        except Exception as exc:  # noqa: BLE001 - a failing look-up (sysfs, udev) is a missing device
            path = None
            log.debug("%s: locating failed: %s", self.name, exc)
        if path is None:
            if not self._missing_reported:
                self._missing_reported = True
                self._report("disconnected", "not plugged in")
            return None, None
        real = os.path.realpath(path)
        if self.claim is not None and not self.claim(real, True):
            return None, None  # another port object has this device open already
        try:
            port = self.opener(path, self.baudrate)
            port.reset_input_buffer()  # whatever was half-sent before we looked is not a line
        except (OSError, ValueError) as exc:  # SerialException is an OSError
            if self.claim is not None:
                self.claim(real, False)
            if not self._missing_reported:
                self._missing_reported = True
                self._report("disconnected", f"cannot open {path}: {exc}")
            return None, None
        self.path = path
        self.stats["opens"] += 1
        self._missing_reported = False
        with self._write_lock:
            self._port = port
        log.info("%s: %s open", self.name, path)
        self._report("connected", path)
        return port, real

    def _read_lines(self, port: SerialLike) -> str:
        """Read until stopped or the device fails; returns why it ended. A partial line is dropped."""
        buf = bytearray()
        skipping = False  # inside an over-long line, waiting for its end
        while not self._stop.is_set():
            try:
                data = port.read(max(1, port.in_waiting))
            except Exception as exc:  # noqa: BLE001 - EIO, ENXIO, pyserial's "returned no data": the device went
                return f"read failed: {exc}"
            for byte in data:
                if byte in self.terminators:
                    if skipping:
                        skipping = False
                    elif buf:
                        self.stats["lines"] += 1
                        line = bytes(buf)
                        try:
                            self.on_line(line)
                        except Exception:
                            log.exception("%s: line handler failed on %r", self.name, line[:80])
                    buf.clear()
                elif not skipping:
                    buf.append(byte)
                    if len(buf) > self.max_line:
                        self.stats["over_long"] += 1
                        skipping = True
                        buf.clear()
        return "stopped"
