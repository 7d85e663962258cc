"""Printer simulators without hardware: a ``SimulatedPrinter`` on a TCP port or behind a pseudo-terminal.

``TcpPrinterSimulator`` puts the printer on a TCP port (like a LAN printer on 9100) and ``PtyPrinterSimulator``
behind a pseudo-terminal (like a USB-serial printer). Besides the printer's own faults (see
``simulated_printer``), ``drop_connections()`` / ``stop()`` (the printer goes away) followed by ``start()`` (it
comes back).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import tty
from collections.abc import Callable
from typing import Self

from .simulated_printer import SimulatedPrinter


class TcpPrinterSimulator:
    """A LAN printer on 127.0.0.1 (port 0: a free one)."""

    def __init__(self, printer: SimulatedPrinter | None = None, host: str = "127.0.0.1", port: int = 0):
        self.printer = printer or SimulatedPrinter()
        self.host, self.port = host, port
        self.connections = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    def start(self) -> Self:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(4)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept_loop, listener)
        return self

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        t = threading.Thread(target=target, args=args, name="printer-sim", daemon=True)
        self._threads.append(t)
        t.start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._conns.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer = self.printer.feed(chunk)
                if answer:
                    conn.sendall(answer)
        except OSError:
            pass
        finally:
            self._close(conn)

    def _close(self, conn: socket.socket) -> None:
        with self._lock:
            if conn in self._conns:
                self._conns.remove(conn)
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        conn.close()

    def drop_connections(self) -> None:
        """Close every open connection (a power cut); keeps listening. The printer forgets a half-received
        command, as a real one does when it restarts, so the next connection's status query is answered."""
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            self._close(conn)
        self.printer.reset()

    def stop(self) -> None:
        """The printer goes away: no listener, no connections (``start()`` brings it back on the same port)."""
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        self.drop_connections()
        for t in self._threads:
            t.join(timeout=5)
        self._threads = []

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class PtyPrinterSimulator:
    """A serial printer on a pseudo-terminal: open ``path`` (the slave side) as the printer's port."""

    def __init__(self, printer: SimulatedPrinter | None = None):
        self.printer = printer or SimulatedPrinter()
        self._master = self._slave = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.path = ""

    @property
    def url(self) -> str:
        return f"serial://{self.path}?baudrate=19200"

    def start(self) -> Self:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)          # binary bytes: no echo, no newline translation
        self.path = os.ttyname(self._slave)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, name="printer-sim-pty", daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self._master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self._master, 65536)
            except OSError:
                self._stop.wait(0.05)  # no slave side open at the moment
                continue
            answer = self.printer.feed(chunk)
            if answer:
                os.write(self._master, answer)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
