"""Kivy's settings for a public device, applied before Kivy is imported: fullscreen, no cursor, one input provider.

Kivy reads its environment and config when it is first imported, so `prepare()` must run before any
``import kivy``; the apps' ``main()`` calls it and imports their screens afterwards.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class WindowSettings:
    width: int = 1920
    height: int = 1080
    fullscreen: bool = True
    # "touch": the touchscreen only (Linux input events, no mouse provider, so no second cursor and no
    # multitouch-emulation dots); "mouse": a mouse without multitouch emulation, for development and Xvfb tests
    input: Literal["touch", "mouse"] = "touch"
    show_cursor: bool = False


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
    if not debug:
        os.environ["KIVY_NO_CONSOLELOG"] = "1"
    from kivy.config import Config  # must come after the environment above

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("graphics", "width", str(window.width))
    Config.set("graphics", "height", str(window.height))
    Config.set("graphics", "fullscreen", "auto" if window.fullscreen else "0")
    Config.set("graphics", "borderless", "1" if window.fullscreen else "0")
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
