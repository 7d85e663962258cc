"""Snapshots for headless runs: every few seconds the window's frame as PNG, named by the app's (simulated) clock.

The frame is read on the Kivy thread just before it is flipped (one ``glReadPixels``); the PNG is encoded and
written by one worker thread, so the UI waits for neither. A write that fails is logged and the app runs on;
a snapshot that falls due while the previous one is still being written is skipped.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

log = logging.getLogger("arkaden.snapshots")


@dataclass(frozen=True)
class SnapshotSettings:
    directory: Path
    every_s: float = 5.0      # real seconds between two snapshots


def snapshot_name(app: str, device: str, at: datetime, tz: tzinfo) -> str:
    """``<app>-<device>-<HHMMSS>.png``, the time local to the site."""
    return f"{app}-{device}-{at.astimezone(tz).strftime('%H%M%S')}.png"


@dataclass(frozen=True)
class Frame:
    """Pixels as OpenGL reads them: RGBA rows from the bottom up."""

    path: Path
    size: tuple[int, int]
    rgba: bytes


class SnapshotWriter:
    """Writes frames to PNG files in its own thread, one at a time; `offer` never waits."""

    def __init__(self) -> None:
        self._frames: queue.Queue[Frame | None] = queue.Queue(maxsize=1)
        self.written = 0
        self.failed = 0
        self.skipped = 0
        self._thread = threading.Thread(target=self._work, name="snapshots", daemon=True)
        self._thread.start()

    def offer(self, frame: Frame) -> bool:
        """Queue ``frame``; False (and skipped) while the previous one is still being written."""
        try:
            self._frames.put_nowait(frame)
        except queue.Full:
            self.skipped += 1
            return False
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Finish the frame being written, then stop."""
        try:
            self._frames.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    def _work(self) -> None:
        while (frame := self._frames.get()) is not None:
            try:
                write_png(frame)
                self.written += 1
            except Exception as exc:  # noqa: BLE001 - a snapshot never stops the app
                self.failed += 1
                log.warning("snapshot %s not written: %s", frame.path, exc)


def write_png(frame: Frame) -> None:
    """The frame as an RGB PNG, top row first; written beside the target and renamed, so no half file is seen."""
    from PIL import Image

    image = Image.frombuffer("RGBA", frame.size, frame.rgba, "raw", "RGBA", 0, -1).convert("RGB")
    frame.path.parent.mkdir(parents=True, exist_ok=True)
    part = frame.path.with_name(frame.path.name + ".part")
    with part.open("wb") as fh:
        image.save(fh, format="PNG", compress_level=3)
    os.replace(part, frame.path)


class Snapshots:
    """Takes a snapshot of the window every ``settings.every_s`` real seconds (start it from ``App.on_start``)."""

    def __init__(self, settings: SnapshotSettings, app: str, device: str, clock: Callable[[], datetime],
                 tz: tzinfo) -> None:
        self.settings, self.app, self.device, self.clock, self.tz = settings, app, device, clock, tz
        self.writer = SnapshotWriter()
        self._due = False
        self._event: Any = None

    def start(self) -> None:
        """Bind to the window's flip (bound last, so called first: before an app's own flip handler)."""
        from kivy.clock import Clock
        from kivy.core.window import Window

        Window.bind(on_flip=self._flip)
        self._event = Clock.schedule_interval(self._fall_due, self.settings.every_s)
        log.info("snapshots of %s %s every %.1f s into %s", self.app, self.device, self.settings.every_s,
                 self.settings.directory)

    def _fall_due(self, _dt: float) -> None:
        from kivy.core.window import Window

        self._due = True
        Window.canvas.ask_update()   # a frame even when nothing changed, so the flip below comes

    def _flip(self, window: Any) -> None:
        """Just before the frame is shown: read it back when a snapshot is due (the writer encodes it)."""
        if not self._due:
            return
        self._due = False
        from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels

        width, height = (int(v) for v in window.size)
        started = time.perf_counter()
        try:
            pixels = glReadPixels(0, 0, width, height, GL_RGBA, GL_UNSIGNED_BYTE)
        except Exception as exc:  # noqa: BLE001 - a snapshot never stops the app
            log.warning("snapshot not taken: %s", exc)
            return
        path = self.settings.directory / snapshot_name(self.app, self.device, self.clock(), self.tz)
        if self.writer.offer(Frame(path, (width, height), bytes(pixels))):
            log.debug("snapshot %s read in %.1f ms", path.name, (time.perf_counter() - started) * 1000)
        else:
            log.info("snapshot %s skipped: the previous one is still being written", path.name)

    def stop(self) -> None:
        from kivy.core.window import Window

        if self._event is not None:
            self._event.cancel()
        Window.unbind(on_flip=self._flip)
        self.writer.close()
