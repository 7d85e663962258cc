"""Label settings that render a language correctly in Kivy: its font, script, paragraph direction and language.

The text provider (`ui_common.raqm_label`, installed by `ui_common.kivy_env.prepare`) shapes each script run with
HarfBuzz and orders runs with FriBiDi, so the direction given here is the paragraph's: numbers and Latin codes
inside an Arabic line come out in reading order without any help.
"""

from __future__ import annotations

from typing import Any

from .languages import Script, language, script_of_text
from .typeset import font_files


def text_style(lang: str, *, bold: bool = False) -> dict[str, Any]:
    """Keyword arguments for a Kivy Label showing text in ``lang`` (shaped, right-to-left where needed)."""
    lg = language(lang)
    return {**script_style(lg.script, rtl=lg.rtl, bold=bold), "text_language": lg.code}


def script_style(script: Script, *, rtl: bool = False, bold: bool = False) -> dict[str, Any]:
    """A label's font has Latin letters, digits and signs in every script (`typeset.font_files`): "J-017" or
    "ca. 28 Min." show in an Arabic or Tigrinya line, not as boxes."""
    font = font_files(script)
    return {
        "font_name": str(font.bold if bold else font.regular),
        "font_script_name": script,
        "font_direction": "rtl" if rtl else "ltr",
    }


def style_for_text(text: str, *, bold: bool = False) -> dict[str, Any]:
    """Style for a piece of text whose language is not known (e.g. a language's own name)."""
    script = script_of_text(text)
    return script_style(script, rtl=script == "Arab", bold=bold)
