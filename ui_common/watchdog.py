"""systemd readiness and watchdog for the Kivy apps: pings come from the Kivy clock, so a frozen UI is restarted."""

from __future__ import annotations

from host_support import sd_notify


def start(app_name: str) -> None:
    """Call from ``App.on_start``: READY=1 after the first frame, then WATCHDOG=1 from the Kivy thread.

    Without systemd (no NOTIFY_SOCKET) nothing is sent. Because the pings are scheduled on Kivy's clock,
    a UI thread that hangs stops them and systemd restarts the app after WatchdogSec.
    """
    from kivy.clock import Clock  # only inside a running app

    interval = sd_notify.watchdog_interval()
    Clock.schedule_once(lambda _dt: sd_notify.notify_ready(f"{app_name} showing its first screen"), 0)
    if interval:
        Clock.schedule_interval(lambda _dt: sd_notify.notify_watchdog(), min(interval / 2, 5.0))


def stopping() -> None:
    sd_notify.notify_stopping()
