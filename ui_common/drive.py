"""Drive a running Kivy app from a script: taps through the real input pipeline, waits, screenshots.

Used by the screen tours (`--tour DIR`) and by the integration tests under Xvfb. Run an app with
`run_driven(app, script)`: the script is an ``async def script(app)`` that runs beside the app's loop.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

Script = Callable[[Any], Awaitable[None]]


def run_driven(app: Any, script: Script) -> None:
    """Run ``app`` and ``script(app)`` together; stop the app when the script ends; re-raise its error."""

    async def main() -> None:
        loop_task = asyncio.ensure_future(app.async_run(async_lib="asyncio"))
        error: BaseException | None = None
        try:
            await wait_until(lambda: app.root is not None, timeout=30, what="the app to build")
            await frames(3)
            await script(app)
        except BaseException as exc:  # noqa: BLE001 - re-raised after the app has stopped
            error = exc
        finally:
            app.stop()
        await loop_task
        if error is not None:
            raise error

    asyncio.run(main())


async def frames(n: int = 1) -> None:
    """Let Kivy draw ``n`` frames."""
    from kivy.clock import Clock

    for _ in range(n):
        start = Clock.frames_displayed
        deadline = time.monotonic() + 5
        while Clock.frames_displayed == start and time.monotonic() < deadline:
            await asyncio.sleep(0.005)


async def wait_until(predicate: Callable[[], Any], *, timeout: float = 10, what: str = "a condition") -> Any:
    """Wait (yielding to Kivy) until ``predicate()`` is truthy; its value, or TimeoutError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        await asyncio.sleep(0.02)


async def tap(widget: Any) -> None:
    """Press and release the centre of ``widget`` as a finger would (window input pipeline, not a method call)."""
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    await frames(1)
    touch.touch_up()
    await frames(2)


def find(root: Any, predicate: Callable[[Any], bool]) -> list[Any]:
    """Widgets below ``root`` (inclusive) that satisfy ``predicate``, in tree order."""
    found = []
    stack = [root]
    while stack:
        w = stack.pop()
        if predicate(w):
            found.append(w)
        stack.extend(reversed(w.children))
    return found


async def screenshot(path: Path) -> Path:
    """Write what the window shows now to ``path`` (PNG); with ``ARKADEN_FIT_AUDIT=<file.jsonl>`` set, also audit
    the screen (`ui_common.fit_audit`: text that does not fit, clipped, low contrast) into that file."""
    from kivy.core.window import Window

    await frames(2)
    path.parent.mkdir(parents=True, exist_ok=True)
    made = Window.screenshot(name=str(path.with_name(path.stem + "-shot.png")))
    os.replace(made, path)
    audit = os.environ.get("ARKADEN_FIT_AUDIT")
    if audit:
        from . import fit_audit

        fit_audit.append_report(Path(audit), path)
    return path
