"""A pseudo-terminal that plays a USB serial device (a button box, a scanner): a stable link name, the far end
readable and writable. Shipped, not test-only: the demo's simulated button boxes are built on it."""

from __future__ import annotations

import os
import select
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path


class PtyDevice:
    """A pty pair; ``link`` (like a /dev/serial/by-id name) points at the slave, which the code under test opens.

    The device's side holds the master: ``send`` writes what the device says, and each line it is told goes to
    ``on_line`` if given, else into ``lines``. ``unplug()`` closes both ends (reads on the other side fail with
    EIO, the link dangles); ``plug()`` makes a new pair behind the same link.
    """

    def __init__(self, link: Path, on_line: Callable[[str], None] | None = None):
        self.link = Path(link)
        self.on_line = on_line
        self.lines: list[str] = []
        self.cv = threading.Condition()
        self.master = -1
        self.slave = -1
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # no echo, no line editing, as a real CDC device
        tmp = self.link.with_name(self.link.name + ".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(self.slave))
        os.replace(tmp, self.link)
        self._stop = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(self.master, self._stop), daemon=True)
        self._reader.start()

    def unplug(self, partial: bytes = b"") -> None:
        """Vanish, optionally in the middle of a line (``partial`` is written first, without its end)."""
        if partial:
            os.write(self.master, partial)
        self._stop.set()
        if self._reader is not None:
            self._reader.join(timeout=5)
        self.link.unlink(missing_ok=True)
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self.slave = -1

    def close(self) -> None:
        if self.master >= 0:
            self.unplug()

    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode()
        view = memoryview(data)
        while view:
            n = os.write(self.master, view)
            view = view[n:]

    def _read(self, fd: int, stop: threading.Event) -> None:
        buf = b""
        while not stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 4096)
            except OSError:
                return
            buf += data
            *complete, buf = buf.split(b"\n")
            if complete and self.on_line is not None:
                for c in complete:
                    self.on_line(c.decode("ascii", "replace").rstrip("\r"))
            elif complete:
                with self.cv:
                    self.lines.extend(c.decode("ascii", "replace") for c in complete)
                    self.cv.notify_all()

    def wait_line(self, predicate: Callable[[str], bool], timeout: float = 10, since: int = 0) -> str:
        """The first line (from index ``since``) matching the predicate; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for line in self.lines[since:]:
                    if predicate(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching line from {self.link.name} in {timeout} s; "
                                         f"last lines: {self.lines[-8:]}")
                self.cv.wait(left)

    def mark(self) -> int:
        with self.cv:
            return len(self.lines)
