"""The demo's private X server when there is no screen: Xvfb on a free display number, its own cookie, no TCP.

Two demos at once get two display numbers (Xvfb's `-displayfd` picks a free one); only the demo's own
children can draw on it (an MIT-MAGIC-COOKIE-1 in `<run>/x11/`); it listens on its Unix socket only.
Stopped with SIGTERM, Xvfb removes its `/tmp/.X<n>-lock` and socket itself. `ScreenGrabber` writes the
whole screen as PNG every few seconds, beside the windows' own screenshots.
"""

from __future__ import annotations

import os
import secrets
import shutil
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path

from arkaden_cli.demo_procs import Child

HEADLESS_SIZE = (2112, 1440)  # the kiosk (portrait) beside display and reception, each 2/3 of its real size
START_TIMEOUT_S = 15.0
FAMILY_WILD = 0xFFFF
COOKIE = b"MIT-MAGIC-COOKIE-1"


class HeadlessError(RuntimeError):
    pass


def _xauth_entry(number: str, cookie: bytes) -> bytes:
    """One Xauthority record: any address, display ``number`` ("" = any), the cookie."""
    def field(data: bytes) -> bytes:
        return struct.pack(">H", len(data)) + data

    return struct.pack(">H", FAMILY_WILD) + field(b"") + field(number.encode()) + field(COOKIE) + field(cookie)


class PrivateX:
    """Xvfb for one demo run; ``env`` is what its children need (DISPLAY, XAUTHORITY)."""

    def __init__(self, workdir: Path, size: tuple[int, int] = HEADLESS_SIZE):
        self.workdir = workdir
        self.size = size
        self.display = ""
        self.child: Child | None = None
        self._server_auth = workdir / "server.xauth"
        self._client_auth = workdir / "client.xauth"

    @property
    def env(self) -> dict[str, str]:
        return {"DISPLAY": self.display, "XAUTHORITY": str(self._client_auth)}

    def start(self, logs: Path) -> None:
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            raise HeadlessError("Xvfb not found: install the Debian package 'xvfb' (./scripts/bootstrap.sh does)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        cookie = secrets.token_bytes(16)
        self._server_auth.touch(mode=0o600)
        self._server_auth.write_bytes(_xauth_entry("", cookie))  # the server takes every cookie in its file
        read_fd, write_fd = os.pipe()
        w, h = self.size
        self.child = Child("xvfb", [xvfb, "-displayfd", str(write_fd), "-auth", str(self._server_auth),
                                    "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp", "-noreset"])
        try:
            self.child.start(logs, pass_fds=(write_fd,))
        finally:
            os.close(write_fd)
        number = self._read_number(read_fd)
        if not number:
            tail = self.child.log_tail()
            self.stop()
            raise HeadlessError(f"Xvfb did not start within {START_TIMEOUT_S:.0f} s:\n{tail}")
        self.display = f":{number}"
        self._client_auth.touch(mode=0o600)
        self._client_auth.write_bytes(_xauth_entry(number, cookie))  # clients look for their display's number

    def _read_number(self, fd: int) -> str:
        """The display number Xvfb writes to the -displayfd pipe once it is ready."""
        import select

        deadline = time.monotonic() + START_TIMEOUT_S
        data = b""
        with os.fdopen(fd, "rb", buffering=0) as pipe:
            while b"\n" not in data and time.monotonic() < deadline:
                ready, _, _ = select.select([pipe], [], [], 0.2)
                if ready:
                    chunk = pipe.read(64)
                    if not chunk:
                        break
                    data += chunk
                elif self.child is not None and not self.child.alive():
                    break
        return data.decode(errors="replace").strip()

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop(timeout=5)
        for path in (self._server_auth, self._client_auth):
            path.unlink(missing_ok=True)


class ScreenGrabber:
    """Every few seconds the whole private screen as one PNG (`screen-<HHMMSS>.png`, simulated time): all
    windows side by side as a person at the screen would see them."""

    def __init__(self, xserver: PrivateX, directory: Path, every_s: float, name: Callable[[], str]):
        self.xserver, self.directory, self.every_s, self.name = xserver, directory, every_s, name
        self.written = 0
        self.error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="demo-screen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def grab(self) -> None:
        from PIL import ImageGrab

        os.environ["XAUTHORITY"] = self.xserver.env["XAUTHORITY"]  # xcb reads the cookie from there
        image = ImageGrab.grab(xdisplay=self.xserver.display)
        image.save(self.directory / f"screen-{self.name()}.png")
        self.written += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.grab()
            except Exception as exc:  # a screenshot that fails is said once; the demo runs on
                if not self.error:
                    self.error = repr(exc)
