"""The client's phone page (no login: the slip's token is the key) and the public board (numbers and rooms only).

The token is only ever in the address: it is cut out of the access log, no page links anywhere else (no
Referer), and an address that tries unknown tokens is slowed down. A ticket whose visit closed, or any ticket
after the day ended, answers like an unknown one: "no active ticket", nothing more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

import queue_protocol as p
from queue_protocol.scan import TOKEN_RE

from . import sse
from .context import Web, client_address
from .hubs import TicketWatch
from .phone_view import phone_view
from .texts import direction, native_name, pick_language, translator

# open streams without login: a family's phones per ticket, the waiting area's screens, and all of them together
# (the server keeps file descriptors for the desks: it raises its own limit to 16 384)
STREAMS_PER_TICKET = 10
MAX_BOARD_STREAMS = 500
MAX_PUBLIC_STREAMS = 6000


def routes(web: Web) -> list[BaseRoute]:

    def public_streams() -> int:
        return web.phones.streams() + len(web.board.browsers)

    def lang_of(request: Request, watch: TicketWatch | None = None) -> str:
        """The page's language: asked for in the address, else the ticket's, else German."""
        fallback = watch.info.language if watch is not None and watch.info is not None else "de"
        return pick_language(web.site, request.query_params.get("lang"), fallback)

    def context(lang: str, **extra: Any) -> dict[str, Any]:
        return {"_": translator(web.phone_tr, lang), "lang": lang, "dir": direction(lang), "site": web.site,
                "languages": [(code, native_name(code)) for code in web.site.site.languages], **extra}

    def gone(lang: str, status: int) -> Response:
        return web.page("phone_gone.html", status=status, **context(lang))

    async def find(request: Request) -> TicketWatch | Response:
        token = request.path_params["token"]
        lang = lang_of(request)
        known = web.phones.watches.get(token)
        if known is not None and known.browsers and not known.closed:
            return known  # a ticket already open on a phone is never blocked (a whole Wi-Fi may share an address)
        if web.guesses.blocked(client_address(request), web.clock()):
            return web.page("phone_busy.html", status=429, **context(lang))
        try:
            watch = await web.phones.lookup(token) if TOKEN_RE.match(token) else None
        except TimeoutError:  # the core is away for a moment: say so, and count nothing against the address
            return web.page("phone_busy.html", status=503, **context(lang))
        if watch is None:
            web.guesses.failed(client_address(request), web.clock())
            return gone(lang, 404)
        if watch.closed:
            return gone(lang_of(request, watch), 410)
        return watch

    def parts(watch: TicketWatch, lang: str, now: datetime) -> dict[str, Any]:
        assert watch.info is not None
        view = phone_view(web.site, watch.info, lang, now, watch.call)
        ctx = context(lang, view=view)
        _ = translator(web.phone_tr, lang)
        return {"html": {"phone-main": web.render("phone_main.html", **ctx),
                         "phone-journey": web.render("phone_journey.html", **ctx)},
                "state": view.state, "number": view.number,
                "title": _("Ihre Nummer {number}", number=view.number)}

    async def phone(request: Request) -> Response:
        found = await find(request)
        if isinstance(found, Response):
            return found
        lang = lang_of(request, found)
        return web.page("phone.html", **context(lang, parts=parts(found, lang, web.clock())))

    def closed(lang: str) -> str:
        return sse.message("closed", {"html": {"phone-main": web.render("phone_closed.html", **context(lang)),
                                               "phone-journey": ""}})

    async def phone_events(request: Request) -> Response:
        found = await find(request)
        if isinstance(found, Response):
            if found.status_code in (404, 410):  # the page stops for good (a stale tab of yesterday, say)
                return sse.once(closed(lang_of(request)))
            return found  # 429, 503: the page tries again later
        watch, lang = found, lang_of(request, found)
        if len(watch.browsers) >= STREAMS_PER_TICKET or public_streams() >= MAX_PUBLIC_STREAMS:
            return Response("too many open pages", status_code=429)

        def render(w: TicketWatch) -> str:
            if w.closed or w.info is None:
                return closed(lang)
            return sse.message("phone", parts(w, lang, web.clock()))

        sub = web.phones.join(watch, render, key=lang)
        return sse.stream(sub.queue, render(watch), lambda: web.phones.leave(watch, sub))

    def board_parts(board: p.BoardState | None, lang: str) -> dict[str, str]:
        return {"board-main": web.render("board_main.html", **context(lang, board=board))}

    async def board(request: Request) -> Response:
        lang = lang_of(request)
        return web.page("board.html", **context(lang, parts=board_parts(web.feed.snapshot.board, lang)))

    async def board_events(request: Request) -> Response:
        lang = lang_of(request)

        def render(state: p.BoardState | None) -> str:
            return sse.message("board", {"html": board_parts(state, lang)})

        if len(web.board.browsers) >= MAX_BOARD_STREAMS or public_streams() >= MAX_PUBLIC_STREAMS:
            return Response("too many open pages", status_code=429)
        sub = web.board.join(render)
        return sse.stream(sub.queue, None, lambda: web.board.leave(sub))

    return [
        Route("/t/{token}", phone, methods=["GET"]),
        Route("/t/{token}/events", phone_events, methods=["GET"]),
        Route("/board", board, methods=["GET"]),
        Route("/board/events", board_events, methods=["GET"]),
    ]
