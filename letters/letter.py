"""Invitation letters as PDF: a journey's appointments in the client's language and German, and its code."""

from __future__ import annotations

from datetime import date, datetime, time

from queue_rules.journeys import Journey
from queue_rules.site import Site

from .content import LetterError, build_letter
from .layout import render

__all__ = ["LetterError", "render_letter"]


def render_letter(site: Site, journey: Journey, lang: str, *, issued: date | None = None) -> bytes:
    """The journey's letter for a reader of ``lang`` as PDF bytes; ``issued`` defaults to today at the site."""
    day = issued or datetime.now(site.tz).date()
    letter = build_letter(site, journey, lang, issued=day)
    return bytes(render(letter, datetime.combine(day, time(12), site.tz)).output())
