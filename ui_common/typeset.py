"""The apps' font files: one per script that also has Latin digits and signs (kiosk, wall display, reception).

Labels are shaped, put in bidi order and measured by arkaden's text provider (`ui_common.raqm_label`: Pillow with
Raqm, i.e. HarfBuzz per script run and FriBiDi), which uses one font file per label. Noto Sans Arabic and Noto Sans
Ethiopic have no Latin letters, digits (Ethiopic) or brackets, so "J-017" or "(…)" would come out as boxes:
`font_files()` builds, once, a font per script with Noto Sans' Basic Latin and Latin-1 glyphs merged in (fontTools)
and keeps it in the cache directory. Numbers, codes and times inside Arabic, Farsi and Pashto text need nothing:
FriBiDi shows them in reading order.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .fonts import font_for
from .languages import Script, language

_LATIN_EXTRA = list(range(0x20, 0x7F)) + list(range(0xA0, 0x180)) + [0x2013, 0x2014, 0x2018, 0x2019, 0x201C,
                                                                       0x201D, 0x2026, 0x2022, 0x2192, 0x2190]


@dataclass(frozen=True)
class FontPair:
    regular: Path
    bold: Path


def default_cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "arkaden" / "fonts"


def _merged(script: Script, source: Path, latin: Path, cache: Path) -> Path:
    target = cache / f"{source.stem}+Latin.ttf"
    if target.is_file() and target.stat().st_mtime >= max(source.stat().st_mtime, latin.stat().st_mtime):
        return target
    import logging

    from fontTools import subset
    from fontTools.merge import Merger
    from fontTools.ttLib import TTFont

    # fontTools logs every table it touches; under an app's debug log level that turns a 1 s merge into minutes
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    cache.mkdir(parents=True, exist_ok=True)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    lat = TTFont(str(latin))
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=_LATIN_EXTRA)
    subsetter.subset(lat)
    # Apps started side by side build the same font at once: each works in files of its own and the finished font
    # replaces the target in one step, so no app ever reads another's half-written or deleted file.
    part = _private_file(cache, f".{source.stem}-latin-part-")
    tmp = _private_file(cache, f".{source.stem}+Latin-")
    try:
        lat.save(str(part))
        merged = Merger().merge([str(source), str(part)])
        merged.save(str(tmp))
        os.replace(tmp, target)
    finally:
        part.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return target


def _private_file(folder: Path, prefix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix=prefix, suffix=".ttf", dir=folder)
    os.close(handle)
    return Path(name)


_pairs: dict[Script, FontPair] = {}


def font_files(script: Script, cache: Path | None = None) -> FontPair:
    """The font files for a script: Noto Sans itself for Latin and Cyrillic, merged ones otherwise."""
    if script not in _pairs:
        base, latin = font_for(script), font_for("Latn")
        if script in ("Latn", "Cyrl"):
            _pairs[script] = FontPair(base.regular, base.bold)
        else:
            where = cache or default_cache_dir()
            _pairs[script] = FontPair(_merged(script, base.regular, latin.regular, where),
                                      _merged(script, base.bold, latin.bold, where))
    return _pairs[script]


def prepare_fonts(cache: Path | None = None) -> None:
    """Build every merged font now (a second or two on a cold cache), not in the middle of a screen change."""
    for script in ("Latn", "Cyrl", "Arab", "Ethi"):
        font_files(script, cache)


def style(lang: str, *, bold: bool = False) -> dict[str, Any]:
    """Label keyword arguments for text in ``lang``: font file, script, paragraph direction and language."""
    lg = language(lang)
    pair = font_files(lg.script)
    return {"font_name": str(pair.bold if bold else pair.regular), "font_script_name": lg.script,
            "font_direction": lg.direction, "text_language": lg.code}


def covered(script: Script) -> set[int]:
    """Code points the font for ``script`` can draw (for the catalogue tests)."""
    from fontTools.ttLib import TTFont

    return set(TTFont(str(font_files(script).regular)).getBestCmap())
