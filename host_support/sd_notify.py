"""systemd notifications (READY, WATCHDOG, STATUS, STOPPING) over $NOTIFY_SOCKET; no-ops outside systemd.

Services call ``notify_ready()`` once they can work and ``notify_watchdog()`` at least every half
``WatchdogSec``; ``serve()`` does both in a loop for a service whose main thread only waits.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable


def _address() -> str | None:
    path = os.environ.get("NOTIFY_SOCKET")
    if not path or (path[0] not in "/@"):
        return None
    return "\0" + path[1:] if path[0] == "@" else path  # "@…" is Linux's abstract namespace


def notify(state: str) -> bool:
    """Send one notification (e.g. "READY=1"); True if it went out, False without systemd or on error."""
    address = _address()
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(state.encode("utf-8"))
        return True
    except OSError:
        return False


def notify_ready(status: str | None = None) -> bool:
    return notify("READY=1" + (f"\nSTATUS={status}" if status else ""))


def notify_watchdog() -> bool:
    return notify("WATCHDOG=1")


def notify_status(status: str) -> bool:
    return notify(f"STATUS={status}")


def notify_stopping() -> bool:
    return notify("STOPPING=1")


def watchdog_interval() -> float | None:
    """WatchdogSec in seconds if systemd expects pings from this process, else None."""
    usec, pid = os.environ.get("WATCHDOG_USEC"), os.environ.get("WATCHDOG_PID")
    if not usec:
        return None
    if pid and pid != str(os.getpid()):
        return None
    try:
        value = int(usec) / 1_000_000
    except ValueError:
        return None
    return value if value > 0 else None


def serve(stop: threading.Event, *, ready: Callable[[], bool] = lambda: True,
          alive: Callable[[], bool] = lambda: True, status: Callable[[], str] | None = None) -> None:
    """Until `stop` is set: READY=1 once `ready()`, WATCHDOG=1 at half the interval while `alive()`.

    A service that is stuck (``alive()`` false) stops pinging, so systemd restarts it after WatchdogSec.
    ``status()`` is sent as STATUS= whenever its text changes.
    """
    interval = watchdog_interval()
    period = min(interval / 2, 5.0) if interval else 5.0
    is_ready, last_status = False, None
    while not stop.is_set():
        text = status() if status is not None else None
        if not is_ready and ready():
            notify_ready(text)
            is_ready, last_status = True, text
        elif text is not None and text != last_status:
            notify_status(text)
            last_status = text
        if is_ready and interval and alive():
            notify_watchdog()
        stop.wait(period if is_ready else min(period, 0.2))
