"""The ASGI application: routes of the desk, phone and board pages, security headers, an access log without tokens.

`make_app(web)` wires a `Web` (`context.py`: everything a request needs) into Starlette; `server.py` runs it with
uvicorn and the MQTT feed. The pages themselves are in `desk_pages.py` and `phone_pages.py`.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import desk_pages, phone_pages
from .context import Web

HERE = Path(__file__).parent
access_log = logging.getLogger("arkaden.web.access")
# a phone page's address holds the ticket's token: it never reaches a log
_TOKEN_PATH = re.compile(r"/t/[^/]*", re.IGNORECASE)  # anywhere in the path: //t/…, /T/…, /static/../t/…
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "media-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),   # a phone page's address (its token) goes nowhere
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
)


def redacted(path: str) -> str:
    return _TOKEN_PATH.sub("/t/…", path)[:200]


class Headers:
    """Security headers on every answer, and one access-log line per request with any token cut out.

    Plain ASGI (not BaseHTTPMiddleware), so thousands of open event streams pass through at no cost.
    """

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = redacted(scope.get("path", ""))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                h = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS:
                    h.setdefault(name, value)
                if scope.get("scheme") == "https":
                    h.setdefault("Strict-Transport-Security", "max-age=31536000")
                access_log.info("%s %s %d", scope.get("method", ""), path, message["status"])
            await send(message)

        await self.app(scope, receive, send_with_headers)


def make_app(web: Web, *, on_startup: Callable[[], None] | None = None,
             on_shutdown: Callable[[], None] | None = None) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/", lambda request: RedirectResponse("/desk", status_code=303)),
        *desk_pages.routes(web),
        *phone_pages.routes(web),
        Route("/healthz", lambda request: Response("ok" if web.feed.connected else "no broker",
                                                   status_code=200 if web.feed.connected else 503)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if on_startup is not None:
            on_startup()
        try:
            yield
        finally:
            if on_shutdown is not None:
                on_shutdown()

    return Starlette(routes=routes, middleware=[Middleware(Headers)], lifespan=lifespan)
