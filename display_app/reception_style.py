"""Reception's colours and sizes, and every (text, background) pair it draws, each readable at 7:1 or more."""

from __future__ import annotations

from .palette import contrast, rgba

__all__ = ["contrast", "rgba"]

BACKGROUND = "#f3f5f8"
PANEL = "#ffffff"
TEXT = "#111827"
SOFT = "#374151"        # secondary text, and the text of everything disabled
HEADER_BG = "#e5e7eb"   # table headings
ALERT_BG = "#fde2e1"    # severe alerts, breached queues
ALERT_TEXT = "#7f1d1d"
NOTICE_BG = "#fef3c7"   # other alerts; a paused counter
SELECTED_BG = "#cfe0ff"
OK = "#14532d"
BUTTON_BG = "#1e40af"
DANGER_BG = "#991b1b"   # "cancel"
BUTTON_TEXT = "#ffffff"
DISABLED_BG = "#e5e7eb"
DISABLED_TEXT = SOFT
CHOOSER_BG = "#dbeafe"  # spinners (chooser buttons), unlike a disabled one
SERVING_BG = "#dbeafe"  # a counter with a client
FREE_BG = "#dcfce7"     # an open counter waiting for the next client
CLOSED_BG = "#e5e7eb"

FONT = 18               # table text
FONT_SMALL = 16         # counter tiles
FONT_TITLE = 22         # panel titles

COUNTER_BG = {"serving": SERVING_BG, "open": FREE_BG, "paused": NOTICE_BG, "closed": CLOSED_BG}

# (foreground, background) pairs the screen really uses; the tests check every one reaches 7:1 (WCAG AAA)
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    (TEXT, BACKGROUND), (TEXT, PANEL), (SOFT, PANEL), (SOFT, BACKGROUND), (TEXT, HEADER_BG),
    (ALERT_TEXT, ALERT_BG), (TEXT, ALERT_BG), (TEXT, NOTICE_BG), (TEXT, SELECTED_BG), (OK, PANEL),
    (ALERT_TEXT, PANEL), (ALERT_TEXT, BACKGROUND), (OK, BACKGROUND),
    (BUTTON_TEXT, BUTTON_BG), (BUTTON_TEXT, DANGER_BG), (DISABLED_TEXT, DISABLED_BG), (TEXT, CHOOSER_BG),
    (TEXT, SERVING_BG), (TEXT, FREE_BG), (SOFT, CLOSED_BG), (TEXT, CLOSED_BG),
)
