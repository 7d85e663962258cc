"""What the speaker button reads aloud on each screen: the screen's words, from the view models, in reading order.

Plain Python: ``screen_text()`` gives (language, text) pieces for the flow's current step; the welcome screen
reads "please choose your language" in each language the kiosk can speak, each in its own voice, every other
screen speaks the client's language. Ticket numbers are said as letter and number ("J 17"), not as a sum.
"""

from __future__ import annotations

from ui_common.languages import LANGUAGES
from ui_common.speech import spoken_number, voice_for

from . import guidance, journey
from . import texts as T
from .flow import KioskFlow
from .guidance import Side, Translator
from .ticket_view import ticket_view

Piece = tuple[str, str]   # (language, text)


def summary_lines(tr: Translator, flow: KioskFlow) -> list[str]:
    """The confirm screen's answers: persons, interpreter, step-free way, and the call in his language."""
    lang = flow.lang
    yes, no = tr.raw(lang, T.YES), tr.raw(lang, T.NO)
    party = "6+" if flow.party >= 6 else str(flow.party)
    lines = [f"{tr.raw(lang, T.PERSONS)}: {party}",
             f"{tr.raw(lang, T.INTERPRETER)} {yes if flow.interpreter else no}",
             f"{tr.raw(lang, T.STEP_FREE)} {yes if flow.step_free else no}"]
    if flow.announce_offered:
        short = T.announce_texts(flow.announce_spoken)[2]
        lines.append(f"{tr.raw(lang, short)} {yes if flow.announce else no}")
    return lines


def screen_text(flow: KioskFlow, tr: Translator, *, scanner_side: Side | None = None,
                slip_side: Side = "below") -> list[Piece]:
    """The current screen's text to read aloud, as (language, text) pieces; [] when there is nothing to say."""
    lang, step = flow.lang, flow.step
    say: list[str] = []

    def add(*msgids: str) -> None:
        say.extend(tr.raw(lang, m) for m in msgids)

    if step == "welcome":
        return [(code, f"{LANGUAGES[code].native}. {tr.raw(code, T.CHOOSE_LANGUAGE)}")
                for code in flow.site.site.languages if code in LANGUAGES and voice_for(code)]
    if step == "start":
        add(T.HAVE_APPOINTMENT, T.HAVE_APPOINTMENT_HINT)
        if scanner_side:
            say.append(guidance.scanner_at(scanner_side, lang, tr))
        add(T.NO_APPOINTMENT, T.NO_APPOINTMENT_HINT)
    elif step == "keypad":
        add(T.ENTER_CODE)
    elif step == "appointments":
        add(T.YOUR_APPOINTMENTS)
        today, _later = journey.appointment_views(flow.site, flow.appointments, lang)
        for v in today:
            rooms = f" {tr.raw(lang, T.ROOM)} {', '.join(v.rooms)}." if v.rooms else ""
            say.append(f"{v.time}: {v.agency}, {v.title}.{rooms}")
        if flow.can_check_in:
            add(T.CHECK_IN_NOW)
    elif step == "concerns":
        add(T.CHOOSE_CONCERN)
        badges = {"appointment_only": T.ONLY_WITH_APPOINTMENT, "closed": T.CLOSED_NOW}
        for t in flow.tiles():
            parts = [t.title, t.subtitle]
            if t.availability in badges:
                parts.append(tr.raw(lang, badges[t.availability]))
            say.append(". ".join(p for p in parts if p) + ".")
    elif step == "details":
        add(T.PARTY_SIZE, T.INTERPRETER, T.STEP_FREE)
        if flow.announce_offered:
            add(*T.announce_texts(flow.announce_spoken)[:2])
    elif step == "confirm":
        add(T.CHECK_DETAILS)
        tile = next((t for t in flow.tiles() if t.concern == flow.concern), None)
        if tile is not None:
            say.append(tile.title)
        say.extend(summary_lines(tr, flow))
        add(T.PRINT_TICKET)
    elif step == "working":
        add(T.ONE_MOMENT)
    elif step == "message" and flow.message is not None:
        view = guidance.message_view(flow.site, flow.message, lang, tr, flow.clock())
        say.extend(x for x in (view.heading, view.office) if x)
        say.extend(view.lines)
    elif step in ("done", "on_screen", "ticket_status"):
        ticket = ticket_view(flow, tr, slip_side)
        if ticket is not None:
            say.extend([ticket.headline, *ticket.notes, f"{tr.raw(lang, T.YOUR_NUMBER)}: "
                        f"{spoken_number(ticket.number)}."])
            if ticket.rooms:
                say.append(f"{ticket.room_title} {', '.join(ticket.rooms)}. {ticket.directions}")
            say.extend(x for x in (ticket.wait, ticket.slip_out, ticket.watch) if x)
    # one piece per line or tile: each is spoken and played on its own, so the first starts at once and no single
    # sound runs into the player's time limit (a whole concerns screen is 40-50 s of speech)
    return [(lang, s.strip()) for s in say if s.strip()]
