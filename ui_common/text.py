"""Label settings that render a language correctly in Kivy: its font, HarfBuzz script and direction."""

from __future__ import annotations

from typing import Any

from .fonts import font_for
from .languages import Script, language, script_of_text


def text_style(lang: str, *, bold: bool = False) -> dict[str, Any]:
    """Keyword arguments for a Kivy Label showing text in ``lang`` (shaped, right-to-left where needed)."""
    lg = language(lang)
    return script_style(lg.script, rtl=lg.rtl, bold=bold)


def script_style(script: Script, *, rtl: bool = False, bold: bool = False) -> dict[str, Any]:
    font = font_for(script)
    return {
        "font_name": str(font.bold if bold else font.regular),
        "font_script_name": script,
        "font_direction": "rtl" if rtl else "ltr",
    }


def style_for_text(text: str, *, bold: bool = False) -> dict[str, Any]:
    """Style for a piece of text whose language is not known (e.g. a language's own name)."""
    script = script_of_text(text)
    return script_style(script, rtl=script == "Arab", bold=bold)
