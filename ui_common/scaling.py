"""An app's screen laid out at its full size (1920×1080, 1080×1920) and shown scaled in a smaller window.

`fit_window(root, (1920, 1080))` gives the window's root: ``root`` itself when the window has that size, else
a `ScaledRoot` that lays ``root`` out at full size on a `ScaledStage` and scales it into the window with its
aspect kept (letterboxed). It is a `Scatter` with every interaction off, so touches and clicks reach the
widget under them, grabbed touches included, and ``to_window``/``to_widget`` map between the two. Drop-downs
open on the stage (`StageDropDown`), so they are scaled with the screen they belong to.
Import only once Kivy is prepared (ui_common.kivy_env).
"""

from __future__ import annotations

from typing import Any

from kivy.uix.dropdown import DropDown
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.scatter import Scatter
from kivy.uix.widget import Widget


class ScaledStage(FloatLayout):
    """The full-size surface the app's root lies on, inside the scaling; overlays of the app open here too."""


class ScaledRoot(FloatLayout):
    """The window's root: the stage, scaled by ``scale`` and centred in the window."""

    def __init__(self, content: Widget, size: tuple[int, int], **kw: Any) -> None:
        super().__init__(**kw)
        self.design = (int(size[0]), int(size[1]))
        self.scatter = Scatter(do_rotation=False, do_scale=False, do_translation=False, auto_bring_to_front=False,
                               size_hint=(None, None), size=self.design, scale_min=1e-3)
        self.stage = ScaledStage(size_hint=(None, None), size=self.design, pos=(0, 0))
        self.content = content
        self.stage.add_widget(content)
        self.scatter.add_widget(self.stage)
        self.add_widget(self.scatter)
        self.bind(size=self._fit, pos=self._fit)
        self._fit()

    @property
    def scale(self) -> float:
        return float(self.scatter.scale)

    def _fit(self, *_: Any) -> None:
        w, h = self.design
        scale = min(self.width / w, self.height / h) if self.width > 0 and self.height > 0 else 1.0
        self.scatter.scale = scale
        self.scatter.pos = (self.x + (self.width - w * scale) / 2, self.y + (self.height - h * scale) / 2)


def fit_window(content: Widget, size: tuple[int, int]) -> Widget:
    """The window's root for ``content`` laid out at ``size``: itself when the window is that big, else scaled."""
    from kivy.core.window import Window

    if (int(Window.width), int(Window.height)) == (int(size[0]), int(size[1])):
        return content
    return ScaledRoot(content, size)


def stage_of(widget: Widget) -> ScaledStage | None:
    """The stage ``widget`` lies on, or None when its app is not scaled."""
    node: Any = widget.parent
    while node is not None and node is not getattr(node, "parent", None):
        if isinstance(node, ScaledStage):
            return node
        node = getattr(node, "parent", None)
    return None


class StageDropDown(DropDown):
    """A drop-down (e.g. a Spinner's ``dropdown_cls``) that opens on the stage of a scaled app, else on the window."""

    attach_to: Any   # DropDown's own property (annotation only)
    _win: Any

    def open(self, widget: Widget) -> None:
        stage = stage_of(widget)
        if stage is None:
            super().open(widget)
            return
        if self.attach_to is not None:
            self.dismiss()
        self._win = stage
        self.attach_to = widget
        widget.bind(pos=self._reposition, size=self._reposition)
        self._reposition()
        stage.add_widget(self)

    def _reposition(self, *largs: Any) -> None:
        stage = self._win
        if not isinstance(stage, ScaledStage):
            super()._reposition(*largs)
            return
        widget = self.attach_to
        if not widget or not widget.get_parent_window():
            return
        # the attached widget's corners on the stage (window coordinates back through the scaling)
        wx, wy = stage.to_widget(*widget.to_window(*widget.pos))
        wright, wtop = stage.to_widget(*widget.to_window(widget.right, widget.top))
        if self.auto_width:
            self.width = wright - wx
        self.x = max(0.0, min(wx, stage.width - self.width))
        height = self.container.minimum_height
        if self.max_height is not None:
            height = min(self.max_height, height)
        below, above = wy - height, stage.height - (wtop + height)
        if below > 0:
            self.height, self.top = height, wy
        elif above > 0:
            self.height, self.y = height, wtop
        elif above < below:
            self.height = self.top = wy
        else:
            self.y, self.height = wtop, stage.height - wtop
