"""Kivy's settings for a public device, applied before Kivy is imported: fullscreen, no cursor, one input provider.

Kivy reads its environment and config when it is first imported, so `prepare()` must run before any
``import kivy``; the apps' ``main()`` calls it and imports their screens afterwards. ``--window WxH+X+Y``
(`Geometry`) gives a window of its own size and place, into which the app's content is scaled (`ui_common.scaling`).
`prepare()` also installs arkaden's text provider (`ui_common.raqm_label`: Pillow + Raqm, right-to-left done right).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

_GEOMETRY = re.compile(r"(?P<w>\d+)x(?P<h>\d+)\+(?P<x>-?\d+)\+(?P<y>-?\d+)")
MIN_WINDOW = 64   # px: a smaller window shows nothing legible


@dataclass(frozen=True)
class Geometry:
    """A window's size and position on the screen, as X11 writes it: ``960x540+960+0`` (top left corner)."""

    width: int
    height: int
    x: int
    y: int

    @classmethod
    def parse(cls, text: str) -> Geometry:
        match = _GEOMETRY.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"window {text!r}: expected WIDTHxHEIGHT+X+Y, e.g. 960x540+960+0")
        g = cls(int(match["w"]), int(match["h"]), int(match["x"]), int(match["y"]))
        if g.width < MIN_WINDOW or g.height < MIN_WINDOW:
            raise ValueError(f"window {text!r}: at least {MIN_WINDOW}x{MIN_WINDOW} pixels")
        return g

    def __str__(self) -> str:
        return f"{self.width}x{self.height}+{self.x}+{self.y}"


def geometry_argument(text: str) -> Geometry:
    """``type=`` for an argparse ``--window`` option."""
    import argparse

    try:
        return Geometry.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


WINDOW_HELP = ("a window of exactly this size and place, WIDTHxHEIGHT+X+Y (e.g. 960x540+960+0), with the screen "
               "scaled to fit it (aspect kept); implies --windowed")


@dataclass(frozen=True)
class WindowSettings:
    width: int = 1920               # the size the app's content is laid out for (its full screen)
    height: int = 1080
    fullscreen: bool = True
    # "touch": the touchscreen only (Linux input events, no mouse provider, so no second cursor and no
    # multitouch-emulation dots); "mouse": a mouse without multitouch emulation, for development and Xvfb tests
    input: Literal["touch", "mouse"] = "touch"
    show_cursor: bool = False
    geometry: Geometry | None = None   # --window: the window's own size and place; the content is scaled into it

    @property
    def window_size(self) -> tuple[int, int]:
        """The window's size in pixels: the geometry's, else the content's."""
        return (self.geometry.width, self.geometry.height) if self.geometry else (self.width, self.height)


def _home(app: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "arkaden" / f"kivy-{app}"


def prepare(app: str, window: WindowSettings, *, debug: bool = False) -> None:
    """Set Kivy's environment and config for ``app``; call once, before importing anything from Kivy."""
    home = _home(app)
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("KIVY_HOME", str(home))  # never ~/.kivy: each app its own, rewritten on start
    os.environ["KIVY_NO_ARGS"] = "1"                # our argparse owns the command line
    os.environ["KIVY_NO_FILELOG"] = "1"             # journald gets stderr; no log files filling the SD card
    os.environ.setdefault("KIVY_CLIPBOARD", "sdl2")  # not xclip/xsel, which a kiosk does not have
    os.environ.setdefault("KIVY_TEXT", "pil")         # SDL2_ttf is not loaded: ui_common.raqm_label replaces it
    if not debug:
        os.environ["KIVY_NO_CONSOLELOG"] = "1"
    from kivy.config import Config  # must come after the environment above

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    fullscreen = window.fullscreen and window.geometry is None
    width, height = window.window_size
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    if window.geometry is not None:
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", str(window.geometry.x))
        Config.set("graphics", "top", str(window.geometry.y))
    else:
        Config.set("graphics", "position", "auto")
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "show_cursor", "1" if window.show_cursor else "0")
    Config.set("graphics", "multisamples", "0")
    for name in list(Config.options("input")):
        Config.remove_option("input", name)
    if window.input == "touch":
        Config.set("input", "touchscreen", "probesysfs,provider=mtdev")
    else:
        Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("postproc", "double_tap_time", "0")
    from . import raqm_label  # imports Kivy's text core: only now, with the environment and config above set

    raqm_label.install()   # every label shaped, reordered and measured by Pillow + Raqm, before the first is made
