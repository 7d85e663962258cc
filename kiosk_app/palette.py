"""The kiosk's colours, and the WCAG contrast ratio that keeps every text pair at 7:1 or better (AAA)."""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[float, float, float]


def hex_rgb(value: str) -> RGB:
    value = value.lstrip("#")
    return (int(value[0:2], 16) / 255, int(value[2:4], 16) / 255, int(value[4:6], 16) / 255)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (channels 0..1)."""

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: RGB, b: RGB) -> float:
    """(L1 + 0.05) / (L2 + 0.05), the lighter over the darker: 1 (none) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class Palette:
    background: str = "#0B1F3A"   # deep navy: the screen
    text: str = "#FFFFFF"
    muted: str = "#D5DEEA"        # secondary text (German subtitles), still AAA on every surface
    tile: str = "#16365F"         # concern tiles, language buttons, keypad keys
    tile_text: str = "#FFFFFF"
    primary: str = "#FFD23F"      # the one main action per screen (print, check in, continue)
    primary_text: str = "#0B1F3A"
    chosen: str = "#FFFFFF"       # a selected option (party size, yes/no): white with a check mark, not the yellow
                                  # of the button that goes on
    chosen_text: str = "#0B1F3A"
    closed: str = "#2E3640"       # a concern that cannot be chosen now: still tappable, explains why
    closed_text: str = "#F2F2F2"
    warning: str = "#7A1020"      # printer fault, errors
    warning_text: str = "#FFFFFF"

    def rgba(self, name: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
        return (*hex_rgb(getattr(self, name)), alpha)

    def text_pairs(self) -> dict[str, tuple[str, str]]:
        """Every (text, surface) combination the screens use."""
        return {
            "text on background": (self.text, self.background),
            "muted on background": (self.muted, self.background),
            "tile text on tile": (self.tile_text, self.tile),
            "muted on tile": (self.muted, self.tile),
            "primary text on primary": (self.primary_text, self.primary),
            "chosen text on chosen": (self.chosen_text, self.chosen),
            "closed text on closed": (self.closed_text, self.closed),
            "muted on closed": (self.muted, self.closed),
            "warning text on warning": (self.warning_text, self.warning),
            "muted on warning": (self.muted, self.warning),
        }


PALETTE = Palette()
MIN_CONTRAST = 7.0    # WCAG AAA for normal text
MIN_TOUCH_PX = 90     # the smallest touch target on any screen
