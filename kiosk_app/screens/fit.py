"""Text that fits its space: a screen's text scaled until its content just fits, once the layout has settled.

Scaling changes the sizes of the widgets already there (``Scaled``) instead of building them anew: labels
dropped and rebuilt every few frames leave Kivy's bindings to dead widgets behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

CHECK_S = 0.05


class Scaled:
    """Sizes of widgets given at scale 1 (font sizes in whole pixels, widths, spacings), set again for a scale."""

    def __init__(self) -> None:
        self.items: list[tuple[Any, str, float]] = []
        self.scale = 1.0

    def clear(self) -> None:
        self.items.clear()

    def add(self, widget: Any, attr: str, base: float) -> Any:
        """Register ``widget.attr`` as ``base`` at scale 1 and set it for the current scale; the widget back."""
        self.items.append((widget, attr, base))
        self._set(widget, attr, base)
        return widget

    def apply(self, scale: float) -> None:
        self.scale = scale
        for widget, attr, base in self.items:
            self._set(widget, attr, base)

    def _set(self, widget: Any, attr: str, base: float) -> None:
        value = base * self.scale
        if attr == "font_size":
            widget.font_size = round(value)   # whole pixels: Kivy measures a shaped line at a rounded size
        elif attr == "text_width":
            widget.text_size = (value, None)
        else:
            setattr(widget, attr, value)


class Fitter:
    """Scales text between ``low`` and 1 until ``ratio()`` (content over space; above 1 overflows) is just below 1.

    Kivy lays labels out a frame or two after they change, so every decision waits until two checks in a row
    measured the same; ``fitted`` tells when it is done (the tours wait for it).
    """

    def __init__(self, ratio: Callable[[], float], apply: Callable[[float], None], *, low: float = 0.6,
                 slack: float = 0.85, checks: int = 60):
        self.ratio, self.apply, self.low, self.slack, self.checks = ratio, apply, low, slack, checks
        self.scale = 1.0
        self.fitted = True
        self._last: float | None = None
        self._left = 0
        self._event: Any = None

    def start(self, scale: float = 1.0) -> None:
        """Show at ``scale`` now and correct it while the screen shows."""
        self.stop()
        self.scale, self.fitted, self._last, self._left = scale, False, None, self.checks
        self.apply(scale)
        self._event = Clock.schedule_interval(self._check, CHECK_S)

    def stop(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _check(self, _dt: float) -> bool:
        self._left -= 1
        r = self.ratio()
        settled = self._last is not None and abs(r - self._last) < 1e-3
        self._last = r
        if self._left <= 0:
            return self._done()
        if not settled:
            return True
        if r > 1.0 and self.scale > self.low:
            scale = max(self.low, self.scale * max(0.8, 0.98 / r))
        elif r < self.slack and self.scale < 1.0:
            scale = min(1.0, self.scale * min(1.15, 0.97 / max(r, 0.01)))
        else:
            return self._done()
        if abs(scale - self.scale) < 0.005:
            return self._done()
        self.scale, self._last = scale, None
        self.apply(scale)
        return True

    def _done(self) -> bool:
        self.fitted = True
        self._event = None
        return False   # unschedules the check
