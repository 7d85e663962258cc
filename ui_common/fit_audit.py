"""The screen-fit audit: every visible label of a live Kivy window fits its box, is not clipped, reaches 7:1 contrast.

`audit_window(screen, png)` walks the window's widget tree (what is drawn: opacity above 0 all the way up, on the
window, not under a modal view, not scrolled out of a ScrollView) and checks every label with text:

- ``overflow``: the rendered text (its texture) is larger than the label's box by more than 1 px, and ink shows
  outside the box;
- ``shortened``: Kivy's ``shorten`` cut the text ("…"): the full line is wider than the width it may take;
- ``lines_cut``: a text wrapped into a box of fixed height (``text_size`` with a height) has more lines than fit;
- ``clipped``: ink cut by the window's edge or by a clipping ancestor (StencilView; a ScrollView only across an
  axis it cannot scroll);
- ``glyph_cut``: ink on the texture's outer column or row that goes on when the text is rendered with room around
  it: the text renderer cut a glyph;
- ``overlap``: the ink of two labels drawn over each other;
- ``contrast``: WCAG contrast below 7:1 between the text colour (``disabled_color`` when disabled) and the
  background drawn behind it (the commonest colour of the screenshot around the text, away from the ink).

`ui_common.fit_language.untranslated` adds the language check from the texts a report lists. The hook:
``ARKADEN_FIT_AUDIT=<file.jsonl>`` makes `ui_common.drive.screenshot` append one report per picture
(`append_report`); tests read them back with `read_reports`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

ENV = "ARKADEN_FIT_AUDIT"
_MARKUP = re.compile(r"\[/?(?:b|i|u|s|sub|sup|size|color|font|font_context|font_family|font_features|ref|anchor|"
                     r"text_language)(?:=[^\]]*)?\]")
MIN_CONTRAST = 7.0   # WCAG AAA, for every text and every state (disabled included)
SLACK_PX = 1         # rounding: a box may be this much smaller than its text
INK = 0.38           # a texture pixel this covered (of the text's own alpha) is ink; anti-aliased fringes are less
EDGE_INK_PX = 2      # ink pixels on a texture edge that make a cut glyph (one can be a stroke's fringe)
OVERLAP_PX = 4       # pixels where two labels' ink lies on top of each other before it counts
Rect = tuple[float, float, float, float]   # window coordinates, y up: left, bottom, right, top
RGB = tuple[float, float, float]


@dataclass(frozen=True)
class Problem:
    kind: str       # overflow, shortened, lines_cut, clipped, glyph_cut, overlap, contrast, untranslated
    screen: str     # the screenshot's file name
    widget: str     # class, id and text (60 characters at most)
    detail: str     # the numbers
    lang: str = ""

    def line(self) -> str:
        lang = f" [{self.lang}]" if self.lang else ""
        return f"{self.screen}{lang} {self.kind}: {self.widget}: {self.detail}"


@dataclass(frozen=True)
class ShownText:
    widget: str
    text: str


@dataclass
class Report:
    screen: str
    problems: list[Problem] = field(default_factory=list)
    texts: list[ShownText] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------- reports on disk


def append_report(out: Path, png: Path) -> Report:
    """Audit the window now, as shown in ``png`` (just written), and append the report to ``out`` (JSON lines)."""
    report = audit_window(png.name, png)
    out.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"path": str(png), **asdict(report)}, ensure_ascii=False) + "\n"
    with out.open("a", encoding="utf-8") as fh:   # one write: two tour processes may append to the same file
        fh.write(line)
    return report


def read_reports(path: Path) -> list[tuple[Path, Report]]:
    """The reports in a JSON-lines file, each with the path of its screenshot."""
    found = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            d = json.loads(raw)
            found.append((Path(d["path"]), Report(d["screen"], [Problem(**p) for p in d["problems"]],
                                                  [ShownText(**t) for t in d["texts"]])))
    return found


# ---------------------------------------------------------------------------------------------- the audit


def audit_window(screen: str, png: Path | None = None) -> Report:
    """Check every drawn label of the running app's window; ``png``, the screenshot of it, gives the backgrounds."""
    from kivy.core.window import Window
    from PIL import Image

    shot = np.asarray(Image.open(png).convert("RGB")) if png is not None else None
    seen = []
    for label, opacity, clips in _drawn_labels(Window):
        s = _measure(label, opacity, clips, Window)
        if s is not None:
            if shot is not None:
                _check_contrast(s, shot, Window)
            seen.append(s)
    _check_overlaps(seen)
    report = Report(screen)
    for s in seen:
        widget = describe(s.label)
        report.texts.append(ShownText(widget, _MARKUP.sub("", s.label.text) if s.label.markup else s.label.text))
        report.problems.extend(Problem(kind, screen, widget, detail) for kind, detail in s.problems)
    return report


# ---------------------------------------------------------------------------------------------- colours


def luminance(rgb: RGB) -> float:
    """WCAG 2 relative luminance of an sRGB colour (channels 0..1)."""
    r, g, b = ((c / 12.92) if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    """WCAG 2 contrast ratio, 1 to 21."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


# ---------------------------------------------------------------------------------------------- the widget tree


@dataclass(frozen=True)
class _Clip:
    rect: Rect
    scrolls_x: bool   # a ScrollView whose content is wider than it: cut at its sides is scrolling, not a defect
    scrolls_y: bool


def _window_rect(widget: Any, x0: float, y0: float, x1: float, y1: float) -> Rect:
    """A rectangle in ``widget``'s own coordinates (those of its pos) in window coordinates."""
    ax, ay = widget.to_window(x0, y0)
    bx, by = widget.to_window(x1, y1)
    return min(ax, bx), min(ay, by), max(ax, bx), max(ay, by)


def _clip_of(widget: Any) -> _Clip:
    from kivy.uix.scrollview import ScrollView

    rect = _window_rect(widget, widget.x, widget.y, widget.right, widget.top)
    if isinstance(widget, ScrollView) and widget.children:
        content = widget.children[0]
        return _Clip(rect, bool(widget.do_scroll_x) and content.width > widget.width + SLACK_PX,
                     bool(widget.do_scroll_y) and content.height > widget.height + SLACK_PX)
    return _Clip(rect, False, False)


def _drawn_labels(window: Any) -> Iterator[tuple[Any, float, tuple[_Clip, ...]]]:
    """Every label that is drawn: its opacity down the tree and the clipping ancestors above it."""
    from kivy.uix.label import Label
    from kivy.uix.modalview import ModalView
    from kivy.uix.stencilview import StencilView

    tops = list(reversed(window.children))   # in drawing order: a modal view covers what came before it
    first = max((i for i, w in enumerate(tops) if isinstance(w, ModalView)), default=0)
    stack: list[tuple[Any, float, tuple[_Clip, ...]]] = [(w, 1.0, ()) for w in reversed(tops[first:])]
    while stack:
        widget, opacity, clips = stack.pop()
        opacity *= widget.opacity
        if opacity <= 0:
            continue
        if isinstance(widget, Label) and widget.text.strip() and widget.texture is not None:
            yield widget, opacity, clips
        if isinstance(widget, StencilView):
            clips = (*clips, _clip_of(widget))
        stack.extend((child, opacity, clips) for child in widget.children)


def describe(widget: Any) -> str:
    """``KButton#id 'Weiter'``: class, the kv id an ancestor knows it by, the text shortened to 60 characters."""
    name = type(widget).__name__
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        ids = getattr(parent, "ids", {})
        hit = next((k for k, v in ids.items() if v is widget or getattr(v, "__self__", None) is widget), None)
        if hit:
            name += f"#{hit}"
            break
        parent = parent.parent
    text = " ".join(widget.text.split())
    return f"{name} {text[:57] + '...' if len(text) > 60 else text!r}"


# ---------------------------------------------------------------------------------------------- one label


@dataclass
class _Seen:
    label: Any
    ink: NDArray[np.bool_]   # the texture's ink, row 0 at the top
    rect: Rect               # the texture on the window
    ink_rect: Rect           # the ink's bounding box on the window
    opacity: float           # the label's opacity times its ancestors'
    problems: list[tuple[str, str]] = field(default_factory=list)
    shown: Rect = (0.0, 0.0, 0.0, 0.0)   # the part of the ink's box inside the window and every clipping ancestor


def _texture_ink(label: Any) -> NDArray[np.uint8]:
    tex = label.texture
    w, h = tex.size
    rgba = np.frombuffer(tex.pixels, dtype=np.uint8).reshape(h, w, 4)
    return rgba[::-1]   # Kivy's pixels start at the bottom row


def _inked(alpha: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """The ink of a text texture: its colour's alpha is baked in (a disabled text at 30 %), so relative to the top."""
    top = int(alpha.max()) if alpha.size else 0
    return np.asarray(alpha >= max(1, top * INK)) if top else np.zeros(alpha.shape, dtype=bool)


def _measure(label: Any, opacity: float, clips: tuple[_Clip, ...], window: Any) -> _Seen | None:
    rgba = _texture_ink(label)
    ink = _inked(rgba[:, :, 3])
    if not ink.any():
        return None
    th, tw = ink.shape
    tx, ty = int(label.center_x - tw / 2.0), int(label.center_y - th / 2.0)   # as Kivy's Label rule draws it
    rect = _window_rect(label, tx, ty, tx + tw, ty + th)
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    sx, sy = (rect[2] - rect[0]) / tw, (rect[3] - rect[1]) / th
    ink_rect = (rect[0] + cols[0] * sx, rect[3] - (rows[-1] + 1) * sy, rect[0] + (cols[-1] + 1) * sx,
                rect[3] - rows[0] * sy)
    seen = _Seen(label, ink, rect, ink_rect, opacity)
    if not _visible(ink_rect, window, clips):
        return None
    seen.shown = _clipped_to(ink_rect, window, clips)
    _check_fit(seen)
    _check_clipped(seen, window, clips)
    _check_glyphs(seen)
    return seen


def _visible(ink: Rect, window: Any, clips: tuple[_Clip, ...]) -> bool:
    """Any of the ink on the window and inside every clipping ancestor (else it is scrolled out or off screen)."""
    return all(_intersects(ink, r) for r in ((0.0, 0.0, float(window.width), float(window.height)),
                                             *(c.rect for c in clips)))


def _clipped_to(ink: Rect, window: Any, clips: tuple[_Clip, ...]) -> Rect:
    """``ink`` cut to the window and to every clipping ancestor: what of it can be seen."""
    x0, y0, x1, y1 = ink
    for r in ((0.0, 0.0, float(window.width), float(window.height)), *(c.rect for c in clips)):
        x0, y0, x1, y1 = max(x0, r[0]), max(y0, r[1]), min(x1, r[2]), min(y1, r[3])
    return x0, y0, x1, y1


def _intersects(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _check_fit(seen: _Seen) -> None:
    label = seen.label
    th, tw = seen.ink.shape
    # The texture larger than the box, counted where its ink is: a line's empty ascent and descent may stick out
    # (a 289 px tall line of "A-019" in a 170 px row on the wall display) without anything a person could see.
    box = _window_rect(label, label.x, label.y, label.right, label.top)
    ink = seen.ink_rect
    out = max(box[0] - ink[0], ink[2] - box[2], box[1] - ink[1], ink[3] - box[3])
    if (tw > label.width + SLACK_PX or th > label.height + SLACK_PX) and out > SLACK_PX:
        seen.problems.append(("overflow", f"text {tw}x{th} px in a box of {label.width:.0f}x{label.height:.0f}, "
                              f"its ink {out:.0f} px outside"))
    core = label._label
    uw, uh = core.text_size   # (its options keep the size it was made with)
    pad = core.options["padding"]
    if label.shorten and uw is not None:
        # the test Kivy's LabelBase.shorten() makes before it cuts: the whole text on one line, 2 px margin
        need = core.get_extents(" ".join(label.text.split("\n")))[0]
        room = int(uw - pad[0] - pad[2] - 2)
        if need > room:
            seen.problems.append(("shortened", f"the full text needs {need} px, {room} px available"))
    elif uh is not None or core.options.get("max_lines"):
        probe = type(core)(**{**core.options, "text_size": (uw, None), "max_lines": 0})
        need = probe.render()[1]
        if need > uh + SLACK_PX if uh is not None else need > th + SLACK_PX:
            seen.problems.append(("lines_cut", f"the wrapped text needs {need} px, the box has {th}"))


def _check_clipped(seen: _Seen, window: Any, clips: tuple[_Clip, ...]) -> None:
    ink = seen.ink_rect
    edges = [("the window", (0.0, 0.0, float(window.width), float(window.height)), False, False)]
    edges += [("a clipping " + ("scroll view" if c.scrolls_x or c.scrolls_y else "panel"), c.rect, c.scrolls_x,
               c.scrolls_y) for c in clips]
    for name, r, scrolls_x, scrolls_y in edges:
        cut_x = max(r[0] - ink[0], ink[2] - r[2], 0.0) if not scrolls_x else 0.0
        cut_y = max(r[1] - ink[1], ink[3] - r[3], 0.0) if not scrolls_y else 0.0
        if cut_x > SLACK_PX or cut_y > SLACK_PX:
            seen.problems.append(("clipped", f"{max(cut_x, cut_y):.0f} px of the ink cut by {name}"))
            return


def _check_glyphs(seen: _Seen) -> None:
    """Ink on the texture's outer column or row, and more of it when the same text is rendered with room around it.

    A glyph may end exactly on its texture's edge ("A", "W" and "4" have no side bearing); only when the text
    rendered again with 12 px more on every side reaches further was a glyph cut.
    """
    ink = seen.ink
    edges = {"left": ink[:, 0], "right": ink[:, -1], "top": ink[0, :], "bottom": ink[-1, :]}
    if not any(line.sum() >= EDGE_INK_PX for line in edges.values()):
        return
    core = seen.label._label
    uw, uh = core.text_size   # (its options keep the size it was made with)
    more = 12
    probe = type(core)(**{**core.options, "padding": [p + more for p in core.options["padding"]],
                          "text_size": (None if uw is None else uw + 2 * more, None if uh is None else uh + 2 * more)})
    probe.text = core.text
    probe.refresh()
    if probe.texture is None:
        return
    w, h = probe.texture.size
    full = _inked(np.frombuffer(probe.texture.pixels, dtype=np.uint8).reshape(h, w, 4)[:, :, 3])
    wide = (_span(full.any(axis=0)) - _span(ink.any(axis=0)), _span(full.any(axis=1)) - _span(ink.any(axis=1)))
    if wide[0] > SLACK_PX or wide[1] > SLACK_PX:
        seen.problems.append(("glyph_cut", f"{max(wide):.0f} px of ink cut off at the texture's "
                              + "/".join(side for side, line in edges.items() if line.sum() >= EDGE_INK_PX)))


def _span(line: Any) -> int:
    """How many pixels from the first inked one to the last, along a row or column of "any ink"."""
    hit = np.nonzero(np.asarray(line))[0]
    return int(hit[-1] - hit[0] + 1) if len(hit) else 0


def _check_contrast(seen: _Seen, shot: NDArray[np.uint8], window: Any) -> None:
    """The text colour against the commonest colour of the screenshot around the text, away from its ink."""
    label = seen.label
    h_img, w_img = shot.shape[:2]
    sx, sy = w_img / window.width, h_img / window.height
    x0, x1 = max(int(seen.rect[0] * sx) - 3, 0), min(int(seen.rect[2] * sx) + 3, w_img)
    y0, y1 = max(int((window.height - seen.rect[3]) * sy) - 3, 0), min(int((window.height - seen.rect[1]) * sy) + 3,
                                                                          h_img)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    region = shot[y0:y1, x0:x1].reshape(-1, 3)
    near_ink = _near_ink(seen, (x0 / sx, window.height - y1 / sy, x1 / sx, window.height - y0 / sy), (x1 - x0, y1 - y0))
    background = region[~near_ink.reshape(-1)]
    if len(background) < 8:
        return
    bg = _commonest(background)
    if label.markup:   # the colours are in the texture (markup [color] tags): its commonest solid ink colour
        rgba = _texture_ink(label)
        solid = rgba[rgba[:, :, 3] >= 250][:, :3]
        if not len(solid):
            return
        fg_rgba = (*_commonest(solid), 1.0)
    else:
        fg_rgba = tuple(label.disabled_color if label.disabled else label.color)
    alpha = fg_rgba[3] * seen.opacity   # a translucent text colour shows the background through it
    fg = _rgb(alpha * f + (1 - alpha) * b for f, b in zip(fg_rgba[:3], bg, strict=True))
    ratio = contrast(fg, bg)
    if ratio < MIN_CONTRAST:
        state = "disabled " if label.disabled else ""
        seen.problems.append(("contrast", f"{ratio:.1f}:1, {state}text {_hex(fg)} on {_hex(bg)}"))


def _near_ink(seen: _Seen, area: Rect, size: tuple[int, int]) -> NDArray[np.bool_]:
    """A mask of ``size`` over ``area`` (window coordinates): the ink and 2 px around it (anti-aliased edges)."""
    from PIL import Image, ImageFilter

    th, tw = seen.ink.shape
    ink = Image.fromarray(seen.ink.astype(np.uint8) * 255)
    tex_w, tex_h = round(seen.rect[2] - seen.rect[0]), round(seen.rect[3] - seen.rect[1])
    if (tex_w, tex_h) != (tw, th):
        ink = ink.resize((max(tex_w, 1), max(tex_h, 1)))
    canvas = Image.new("L", size, 0)
    canvas.paste(ink, (round(seen.rect[0] - area[0]), round(area[3] - seen.rect[3])))
    grown = canvas.filter(ImageFilter.MaxFilter(5))
    return np.asarray(grown) > 0


def _check_overlaps(seen: list[_Seen]) -> None:
    for i, a in enumerate(seen):
        for b in seen[i + 1:]:
            if _intersects(a.shown, b.shown):   # a row scrolled under a list's header is hidden there
                n = _common_ink(a, b)
                if n >= OVERLAP_PX:
                    a.problems.append(("overlap", f"{n} px of its ink lie on the ink of {describe(b.label)}"))


def _common_ink(a: _Seen, b: _Seen) -> int:
    """Window pixels inked by both labels (each texture sampled at the pixel centres)."""
    x0, x1 = int(max(a.shown[0], b.shown[0])), int(np.ceil(min(a.shown[2], b.shown[2])))
    y0, y1 = int(max(a.shown[1], b.shown[1])), int(np.ceil(min(a.shown[3], b.shown[3])))
    xs, ys = np.arange(x0, x1) + 0.5, np.arange(y0, y1) + 0.5
    return int((_sample(a, xs, ys) & _sample(b, xs, ys)).sum())


def _sample(s: _Seen, xs: NDArray[Any], ys: NDArray[Any]) -> NDArray[np.bool_]:
    th, tw = s.ink.shape
    cols = ((xs - s.rect[0]) * tw / (s.rect[2] - s.rect[0])).astype(int)
    rows = ((s.rect[3] - ys) * th / (s.rect[3] - s.rect[1])).astype(int)
    inside_c, inside_r = (cols >= 0) & (cols < tw), (rows >= 0) & (rows < th)
    grid = np.zeros((len(ys), len(xs)), dtype=bool)
    grid[np.ix_(inside_r, inside_c)] = s.ink[np.ix_(rows[inside_r], cols[inside_c])]
    return grid


def _commonest(pixels: NDArray[np.uint8]) -> RGB:
    """The commonest colour of some RGB pixels (at most 20000 of them looked at: a background is a solid fill)."""
    step = max(1, len(pixels) // 20000)
    packed = pixels[::step].astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32)
    values, counts = np.unique(packed, return_counts=True)
    top = int(values[int(np.argmax(counts))])
    return (top >> 16) / 255, ((top >> 8) & 255) / 255, (top & 255) / 255


def _rgb(values: Iterable[float]) -> RGB:
    r, g, b = values
    return r, g, b


def _hex(rgb: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb[:3])
