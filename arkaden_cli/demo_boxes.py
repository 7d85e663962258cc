"""Simulated call-button boxes on pseudo-terminals, for the real `arkaden buttons` bridge to open.

Each box is a pty pair; `<run>/state/boxes/<box-id>` links to the side the bridge opens (it is started with
`--ports '<run>/state/boxes/*'` and finds the box by its HELLO, as it finds a real one by its udev name).
The simulated counsellor presses keys here: `KEY <seq> NEXT`, re-sent every second until the bridge's
`ACK <seq>`, like the reference firmware; what the bridge shows (`SHOW J-017  W:5`) is the answer.
See docs/hardware.md for the line protocol.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from serial_devices.pty_device import PtyDevice

FIRMWARE = "demo-1"
RESEND_S = 1.0          # the reference firmware re-sends an unacknowledged press every second
SETTLE_S = 0.5          # after the ACK: how long to wait for the display to show the counter's new state
NUMBER = re.compile(r"[A-Z]{1,2}-\d{3}")
# what the bridge flashes when the core refused a press (hardware/box_handle.py ERROR_TEXT), by error code
REFUSALS = {"NO CLIENT": "no_current_ticket", "NOT NOW": "wrong_state", "FINISH FIRST": "busy",
            "CLOSED": "closed", "CORE ERROR": "internal"}


@dataclass(frozen=True)
class BoxAnswer:
    """What the box showed after a press was acknowledged: the number at the counter, or the refusal."""

    command_id: str     # the command id the bridge sent: <box>.<boot>.<seq>
    shown: str          # the display's text, e.g. "J-017  W:5" or "NO CLIENT"
    refused: str = ""   # the core's error code when the bridge flashed a refusal

    @property
    def number(self) -> str | None:
        first = self.shown.split(" ", 1)[0]
        return first if NUMBER.fullmatch(first) else None


class SimulatedBox:
    """One box: `link` names its pseudo-terminal for the bridge; `press(key)` presses one of its keys."""

    def __init__(self, box_id: str, link: Path):
        self.box_id = box_id
        self.link = link
        self.boot = secrets.token_hex(4)
        self._seq = secrets.randbelow(60000)
        self._acked: set[int] = set()
        self._shown: list[tuple[float, str]] = []  # (monotonic time, text) of every SHOW
        self._cond = threading.Condition()
        self._press_lock = threading.Lock()  # one key at a time, as one counsellor's hand
        self._stop = threading.Event()
        self.hellos = 0
        self._ready = threading.Event()  # the bridge may ask WHO the moment the link exists
        self._port = PtyDevice(link, on_line=self._on_line)  # the pty pair, its link and its reader thread
        self._ready.set()

    @property
    def attached(self) -> bool:
        """Whether the bridge has asked who the box is (it has opened the port)."""
        return self.hellos > 0

    def _write(self, line: str) -> None:
        self._ready.wait(5)
        try:
            self._port.send(line.encode("ascii") + b"\n")
        except OSError:
            pass  # closing

    def _on_line(self, line: str) -> None:
        word, _, rest = line.partition(" ")
        with self._cond:
            if word == "WHO":
                self.hellos += 1
                self._write(f"HELLO {self.box_id} {FIRMWARE} {self.boot}")
            elif word == "ACK" and rest.isdigit():
                self._acked.add(int(rest))
            elif word == "SHOW":
                self._shown.append((time.monotonic(), rest))
                del self._shown[:-20]
            self._cond.notify_all()

    def shown(self) -> str:
        with self._cond:
            return self._shown[-1][1] if self._shown else ""

    def press(self, key: str, timeout: float = 15.0) -> BoxAnswer | None:
        """Press ``key`` (NEXT, RECALL, DONE, NOSHOW, PAUSE); None when the bridge did not acknowledge in time."""
        with self._press_lock:
            with self._cond:
                self._seq = (self._seq + 1) % 65536
                seq = self._seq
            line = f"KEY {seq} {key}"
            sent = time.monotonic()
            deadline = sent + timeout
            with self._cond:
                while seq not in self._acked:
                    self._write(line)  # the first send, and every re-send: byte for byte the same press
                    left = deadline - time.monotonic()
                    if left <= 0 or self._stop.is_set():
                        return None
                    self._cond.wait(min(RESEND_S, left))
                self._acked.discard(seq)
                acked = time.monotonic()
                # the counter's new state (or a refusal) comes with the ACK or a moment after it
                self._cond.wait_for(lambda: bool(self._shown) and self._shown[-1][0] >= acked, SETTLE_S)
                after = [text for at, text in self._shown if at >= sent]
                shown = after[-1] if after else (self._shown[-1][1] if self._shown else "")
            refused = next((REFUSALS[t] for t in after if t in REFUSALS), "")
            return BoxAnswer(f"{self.box_id}.{self.boot}.{seq}", shown, refused)

    def close(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._port.close()
