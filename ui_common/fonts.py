"""Which font file shows which script: Noto fonts found on the machine, with a clear error when one is missing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .languages import Script

FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype")

# Noto Sans covers Latin (incl. Kurmancî ê î û ş ç, Romanian ș ț, Turkish ğ ı) and Cyrillic;
# Noto Sans Arabic covers the Persian and Pashto letters too; Noto Sans Ethiopic covers Ge'ez.
FONT_FILES: dict[Script, tuple[str, str]] = {
    "Latn": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "Cyrl": ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    "Arab": ("NotoSansArabic-Regular.ttf", "NotoSansArabic-Bold.ttf"),
    "Ethi": ("NotoSansEthiopic-Regular.ttf", "NotoSansEthiopic-Bold.ttf"),
}
INSTALL_HINT = "install the Debian packages fonts-noto-core and fonts-noto-ui-core (./scripts/bootstrap.sh does)"


class FontMissing(FileNotFoundError):
    pass


@dataclass(frozen=True)
class ScriptFont:
    script: Script
    regular: Path
    bold: Path


def _search_dirs() -> list[Path]:
    extra = os.environ.get("ARKADEN_FONT_DIR")
    return [Path(d) for d in ((extra,) if extra else ()) + FONT_DIRS]


def find_font(filename: str) -> Path:
    for d in _search_dirs():
        for candidate in (d / filename, *d.glob(f"*/{filename}")):
            if candidate.is_file():
                return candidate
    raise FontMissing(f"font {filename} not found in {', '.join(map(str, _search_dirs()))}: {INSTALL_HINT}")


_cache: dict[Script, ScriptFont] = {}


def font_for(script: Script) -> ScriptFont:
    """The regular and bold font files for a script (looked up once)."""
    if script not in _cache:
        regular, bold = FONT_FILES[script]
        _cache[script] = ScriptFont(script, find_font(regular), find_font(bold))
    return _cache[script]


def check_fonts() -> list[str]:
    """Problems with the fonts every language needs (empty when all are there)."""
    problems = []
    for script in FONT_FILES:
        try:
            font_for(script)
        except FontMissing as exc:
            problems.append(str(exc))
    return problems
