"""The wall display's and reception's colours, and the WCAG contrast formula that keeps them readable."""

from __future__ import annotations

RGB = tuple[float, float, float]


def hex_rgb(code: str) -> RGB:
    code = code.lstrip("#")
    return (int(code[0:2], 16) / 255, int(code[2:4], 16) / 255, int(code[4:6], 16) / 255)


def rgba(code: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """Kivy colour list for a hex code."""
    return (*hex_rgb(code), alpha)


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(code: str) -> float:
    """WCAG 2 relative luminance."""
    r, g, b = (_linear(c) for c in hex_rgb(code))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# Wall display: light text on a deep blue, a called number in black on signal yellow.
BACKGROUND = "#0a1a2f"
PANEL = "#10263f"       # rows and side panels, a little lighter than the background
TEXT = "#ffffff"
TEXT_SOFT = "#d4dde8"   # room/counter details, headings
ACCENT = "#ffd21f"      # the heading rule, waiting times
HIGHLIGHT_BG = "#ffd21f"
HIGHLIGHT_TEXT = "#000000"
WARNING = "#ffb3a6"     # "no connection" note, soft red readable on the background

# Reception: dark text on light panels, alerts on pale red.
R_BACKGROUND = "#f3f5f8"
R_PANEL = "#ffffff"
R_TEXT = "#111827"
R_SOFT = "#374151"
R_ALERT_BG = "#fde2e1"
R_ALERT_TEXT = "#7f1d1d"
R_SELECTED_BG = "#cfe0ff"
R_OK = "#14532d"

# (foreground, background) pairs the screens really use; every one must reach 7:1 (WCAG AAA)
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    (TEXT, BACKGROUND), (TEXT, PANEL), (TEXT_SOFT, BACKGROUND), (TEXT_SOFT, PANEL), (ACCENT, BACKGROUND),
    (ACCENT, PANEL), (HIGHLIGHT_TEXT, HIGHLIGHT_BG), (WARNING, BACKGROUND), (WARNING, PANEL),
    (R_TEXT, R_BACKGROUND), (R_TEXT, R_PANEL), (R_SOFT, R_PANEL), (R_SOFT, R_BACKGROUND), (R_ALERT_TEXT, R_ALERT_BG),
    (R_TEXT, R_SELECTED_BG), (R_OK, R_PANEL), (R_TEXT, R_ALERT_BG),
)
