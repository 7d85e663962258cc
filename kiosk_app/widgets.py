"""The kiosk's Kivy building blocks: labels in the client's script, mirrored layouts, tiles, pictograms, QR codes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line, Rectangle, Triangle
from kivy.graphics.texture import Texture
from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.gridlayout import GridLayout
from kivy.uix.image import Image
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from ui_common import typeset

from . import pictograms
from .palette import PALETTE

if TYPE_CHECKING:  # a mixin over a Kivy layout: for mypy it has the layout's (untyped) attributes
    from kivy.uix.layout import Layout as _LayoutMixinBase
else:
    _LayoutMixinBase = object


class Mirrored(_LayoutMixinBase):
    """Lays out like the base class, then mirrors the children horizontally when ``rtl`` is set."""

    rtl = BooleanProperty(False)

    def on_rtl(self, *_: Any) -> None:
        self._trigger_layout()

    def do_layout(self, *args: Any) -> None:
        super().do_layout(*args)
        if self.rtl:
            for child in self.children:
                child.x = self.x + self.right - child.right


class MirrorBox(Mirrored, BoxLayout):
    pass


class MirrorGrid(Mirrored, GridLayout):
    pass


class KLabel(Label):
    """Text in the client's language: its font, shaping and direction follow the app's language."""


class RowLabel(Label):
    """A line of a journey's stop or list, in the client's language: as tall as its text (lists are long)."""


class LatinLabel(Label):
    """Numbers, rooms and codes: always left to right in the Latin font, in every language."""


class NativeLabel(Label):
    """Text in a language other than the screen's (a language's own name, the German subtitle)."""

    def __init__(self, lang: str | None = None, bold: bool = False, **kw: Any):
        if lang is not None:
            kw.update(typeset.style(lang, bold=bold))
        super().__init__(**kw)


class KButton(Button):
    """A large button in the client's language; ``role`` picks its colours (tile, primary, chosen)."""

    role = StringProperty("tile")


class ChoiceButton(KButton):
    """One answer of a question (party size, yes/no): when ``chosen``, light with dark text and a check mark in
    its top corner on the reading side, so it does not look like the yellow button that goes on."""

    chosen = BooleanProperty(False)

    @staticmethod
    def check_points(rtl: bool, pos: tuple[float, float], size: tuple[float, float]) -> list[float]:
        """The check mark's polyline: a 32 dp mark in the top left corner (top right in right-to-left)."""
        from kivy.metrics import dp

        side, margin = min(dp(32), size[0] * 0.2), dp(10)
        x = pos[0] + size[0] - margin - side if rtl else pos[0] + margin
        y = pos[1] + size[1] - margin - side
        return [x, y + side * 0.5, x + side * 0.38, y + side * 0.12, x + side, y + side * 0.9]


class SpeakerButton(ButtonBehavior, BoxLayout):
    """The read-aloud button: a speaker pictogram and the word; hidden where the kiosk cannot speak the language."""


class LangButton(Button):
    """A language's own name in its own script (the welcome screen): font and direction given per button."""

    lang_code = StringProperty("")


class Pictogram(Widget):
    """One of the pictograms, drawn with the tile's text colour."""

    name = StringProperty("info")
    color = ListProperty(list(PALETTE.rgba("tile_text")))

    def __init__(self, **kw: Any):
        super().__init__(**kw)
        self._redraw = Clock.create_trigger(self._draw, -1)  # once per frame, after the layout settled
        self.bind(pos=self._redraw, size=self._redraw, name=self._redraw, color=self._redraw)

    def _draw(self, *_: Any) -> None:
        self.canvas.clear()
        side = min(self.width, self.height)
        ox, oy = self.center_x - side / 2, self.center_y - side / 2
        unit = side / 100  # line widths are given per 100 px of pictogram

        def pt(x: float, y: float) -> tuple[float, float]:
            return ox + x * side, oy + y * side

        with self.canvas:
            Color(*self.color)
            for op in pictograms.shapes(self.name):
                kind = op[0]
                if kind == "line":
                    pts = [c for i in range(0, len(op[1]), 2) for c in pt(op[1][i], op[1][i + 1])]
                    Line(points=pts, width=op[2] * unit, close=op[3], joint="round", cap="round")
                elif kind == "rline":
                    x, y = pt(op[1], op[2])
                    Line(rounded_rectangle=(x, y, op[3] * side, op[4] * side, op[5] * side), width=op[6] * unit)
                elif kind == "circle":
                    cx, cy = pt(op[1], op[2])
                    Line(circle=(cx, cy, op[3] * side), width=op[4] * unit)
                elif kind == "arc":   # angles in degrees, clockwise from the top
                    cx, cy = pt(op[1], op[2])
                    Line(circle=(cx, cy, op[3] * side, op[4], op[5]), width=op[6] * unit, cap="round")
                elif kind == "disc":
                    cx, cy = pt(op[1], op[2])
                    r = op[3] * side
                    Ellipse(pos=(cx - r, cy - r), size=(2 * r, 2 * r))
                elif kind == "rect":
                    Rectangle(pos=pt(op[1], op[2]), size=(op[3] * side, op[4] * side))
                elif kind == "tri":
                    Triangle(points=[*pt(op[1], op[2]), *pt(op[3], op[4]), *pt(op[5], op[6])])


class Tile(ButtonBehavior, MirrorBox):
    """A concern tile: pictogram, title in the client's language, the German title, and why it is unavailable."""

    concern = StringProperty("")
    pictogram = StringProperty("info")
    title = StringProperty("")
    title_de = StringProperty("")
    subtitle = StringProperty("")
    badge = StringProperty("")
    role = StringProperty("tile")


class StopRow(MirrorBox):
    """One stop of a journey on a tile: its time and room beside a column of lines (agency, what for, a note).

    As tall as its tallest part; bound through a method (Kivy keeps methods weakly), since a closure over the
    row would keep it alive in a cycle whose kv bindings to the app outlive it.
    """

    def add_part(self, part: Any) -> None:
        self.add_widget(part)
        part.bind(height=self._refit)
        self._refit()

    def _refit(self, *_: Any) -> None:
        self.height = max((c.height for c in self.children), default=0) + self.padding[1] + self.padding[3]


class DocGrid(MirrorGrid):
    """The documents to bring, in one or two columns, as tall as its rows."""


class StopColumn(BoxLayout):
    """A column of labels as tall as they are (the lines of a stop, a list of documents)."""


class QrCode(Image):
    """A QR code as a crisp texture (nearest-neighbour scaling); ``text`` empty shows nothing."""

    text = StringProperty("")

    def on_text(self, *_: Any) -> None:
        if not self.text:
            self.texture = None
            return
        import qrcode

        qr = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
        qr.add_data(self.text)
        qr.make(fit=True)
        matrix = qr.get_matrix()
        n = len(matrix)
        buf = bytearray()
        for row in reversed(matrix):  # Kivy textures start at the bottom
            for dark in row:
                buf += b"\x00\x00\x00" if dark else b"\xff\xff\xff"
        tex = Texture.create(size=(n, n), colorfmt="rgb")
        tex.blit_buffer(bytes(buf), colorfmt="rgb", bufferfmt="ubyte")
        tex.mag_filter = "nearest"
        tex.min_filter = "nearest"
        self.texture = tex


def drop_children(container: Any) -> None:
    """Remove a container's children for good: their kv bindings go with them, now.

    Kivy unbinds a widget's kv rules when the widget is collected, through a weak reference that the garbage
    collector may clear without calling back (a widget tree is a reference cycle); a later change (the app's font,
    a texture) then reaches a dead widget and raises ReferenceError. Screens that rebuild their lists use this.
    """
    from kivy.lang import Builder

    stack = list(container.children)
    container.clear_widgets()
    while stack:
        widget = stack.pop()
        stack.extend(widget.children)
        Builder.unbind_widget(widget.uid)


def fitted_size(text: str, font_name: str, size: float, width: float, **style: Any) -> float:
    """The largest font size up to ``size`` at which the longest word of ``text`` fits ``width``.

    Kivy breaks a word that is wider than its label in the middle ("Krankenversicherun|g"); long German
    compounds on a tile get a smaller font instead.
    """
    words = text.split()
    if not words or width <= 0:
        return size
    from kivy.uix.label import CoreLabel  # the text provider's label (ui_common.raqm_label), measuring as drawn

    widest = 0.0
    for word in sorted(set(words), key=len, reverse=True)[:3]:  # the longest few by letters
        label = CoreLabel(text=word, font_name=font_name, font_size=size, **style)
        label.refresh()
        widest = max(widest, label.content_width)
    if widest <= width:
        return size
    return max(size * 0.6, size * width / widest * 0.97)


def app() -> Any:
    return App.get_running_app()
